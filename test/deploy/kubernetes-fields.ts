/**
 * Strict field validation, as kubectl 1.27+ applies (`--validate=strict`):
 * kubernetes-models' validators check types but not unknown fields, so a typo
 * (`readinesProbe`, `nodeSelecter`) would pass them and be refused by the API
 * server. This walks each object along the Kubernetes API's own type
 * declarations (kubernetes-models' .d.ts, generated from the same OpenAPI
 * schema), read with the TypeScript compiler, and names every field the type
 * does not declare.
 */
import { dirname, join } from 'node:path';
import ts from 'typescript';

const MODELS = dirname(require.resolve('kubernetes-models/package.json'));

/** The checker over the declarations of the kinds asked for (one program for all of them). */
function checkerFor(kinds: Array<{ apiVersion: string; kind: string }>) {
  const files = [...new Set(kinds.map((k) => join(MODELS, k.apiVersion, `${k.kind}.d.ts`)))];
  const program = ts.createProgram(files, { noEmit: true, types: [], skipLibCheck: true, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10 });
  return { program, checker: program.getTypeChecker() };
}

/** Every path in `objects` (as `Kind/name: spec.template...`) that its kind's API type does not declare. */
export function unknownFields(objects: Array<{ apiVersion: string; kind: string; metadata?: { name?: string } }>): string[] {
  const { program, checker } = checkerFor(objects);
  const problems: string[] = [];
  const rootType = (apiVersion: string, kind: string): ts.Type => {
    const file = program.getSourceFile(join(MODELS, apiVersion, `${kind}.d.ts`));
    const module = file && checker.getSymbolAtLocation(file);
    const symbol = module && checker.getExportsOfModule(module).find((s) => s.name === `I${kind}`);
    if (!symbol) throw new Error(`kubernetes-models has no type for ${apiVersion} ${kind}`);
    return checker.getDeclaredTypeOfSymbol(symbol);
  };
  const elementType = (type: ts.Type) => checker.getIndexTypeOfType(type, ts.IndexKind.Number);
  const walk = (value: unknown, declared: ts.Type, path: string, where: string) => {
    if (value === null || typeof value !== 'object') return;
    let type = checker.getNonNullableType(declared);
    if (type.isUnion()) {
      const objects = type.types.filter((t) => t.flags & ts.TypeFlags.Object);
      if (objects.length !== 1) return; // IntOrString and the like: a scalar
      type = objects[0];
    }
    if (Array.isArray(value)) {
      const element = elementType(type);
      if (element) value.forEach((item, i) => walk(item, element, `${path}[${i}]`, where));
      return;
    }
    const index = checker.getIndexTypeOfType(type, ts.IndexKind.String);
    if (index) {
      for (const [key, item] of Object.entries(value)) walk(item, index, `${path}.${key}`, where);
      return;
    }
    if (type.getProperties().length === 0) return; // free-form (e.g. a RawExtension)
    for (const [key, item] of Object.entries(value)) {
      const property = type.getProperty(key);
      const at = path ? `${path}.${key}` : key;
      if (!property) problems.push(`${where}: ${at}: unknown field`);
      else walk(item, checker.getTypeOfSymbol(property), at, where);
    }
  };
  for (const object of objects) walk(object, rootType(object.apiVersion, object.kind), '', `${object.kind}/${object.metadata?.name}`);
  return problems;
}
