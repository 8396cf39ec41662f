/**
 * Object keys read the way EdgeX's Go services read them, before our schemas
 * check the values. EdgeX decodes JSON with encoding/json, which matches a key
 * to a field case-insensitively (an exact match first) and ignores keys no
 * field has; its YAML (yaml.v3) matches exactly and ignores unknown keys too.
 * So a client that sends `"Properties"`, or a reading with the `apiVersion`
 * EdgeX's own OpenAPI shows, is understood there and must be here.
 *
 * `readAsEdgeX` walks a value along a zod schema: every object the schema
 * describes gets its keys renamed to the schema's spelling (JSON only) and
 * loses the keys the schema does not know, each reported back (path) so
 * callers can log them or warn an uploader about a likely typo. Free-form maps
 * (z.record: attributes, protocols, tags...) keep their keys as given.
 */
import type { z } from 'zod';

export interface KeyReading {
  /** JSON: match keys case-insensitively (EdgeX's encoding/json); YAML: exactly (yaml.v3). */
  caseInsensitive: boolean;
}

export interface ReadAsEdgeX<T = unknown> {
  value: T;
  /** Paths of the keys dropped because the schema has no such field (`deviceResources[0].properties.valuType`). */
  ignored: string[];
}

type AnySchema = z.ZodTypeAny;

export function readAsEdgeX(schema: AnySchema, input: unknown, reading: KeyReading, path = ''): ReadAsEdgeX {
  const ignored: string[] = [];
  const value = walk(schema, input, reading, path, ignored);
  return { value, ignored };
}

function walk(schema: AnySchema, input: unknown, reading: KeyReading, path: string, ignored: string[]): unknown {
  const def = schema._def as { typeName: string } & Record<string, unknown>;
  switch (def.typeName) {
    case 'ZodOptional':
    case 'ZodNullable':
    case 'ZodDefault':
    case 'ZodReadonly':
    case 'ZodCatch':
      return walk(def.innerType as AnySchema, input, reading, path, ignored);
    case 'ZodEffects':
      return walk(def.schema as AnySchema, input, reading, path, ignored);
    case 'ZodPipeline':
      return walk(def.in as AnySchema, input, reading, path, ignored);
    case 'ZodLazy':
      return walk((def.getter as () => AnySchema)(), input, reading, path, ignored);
    case 'ZodArray':
      return Array.isArray(input) ? input.map((item, i) => walk(def.type as AnySchema, item, reading, `${path}[${i}]`, ignored)) : input;
    case 'ZodObject':
      return isPlainObject(input) ? readObject([shapeOf(schema)], input, reading, path, ignored) : input;
    case 'ZodUnion':
    case 'ZodDiscriminatedUnion': {
      // Keys any option knows are kept (the schema then picks the option); each value follows the first option that has its key.
      const options = def.options as AnySchema[];
      const shapes = options.map(objectShape).filter((shape): shape is Record<string, AnySchema> => shape !== undefined);
      return shapes.length === options.length && isPlainObject(input) ? readObject(shapes, input, reading, path, ignored) : input;
    }
    default:
      return input;
  }
}

function readObject(
  shapes: Array<Record<string, AnySchema>>,
  input: Record<string, unknown>,
  reading: KeyReading,
  path: string,
  ignored: string[],
): Record<string, unknown> {
  const known = new Map<string, AnySchema>();
  for (const shape of shapes) for (const [key, child] of Object.entries(shape)) if (!known.has(key)) known.set(key, child);
  const byLowerCase = reading.caseInsensitive ? new Map([...known.keys()].map((key) => [key.toLowerCase(), key])) : undefined;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    // An exact match wins over a key that matches only case-insensitively (as encoding/json does).
    const field = known.has(key) ? key : byLowerCase?.get(key.toLowerCase());
    const at = path ? `${path}.${key}` : key;
    if (field === undefined || (field !== key && Object.hasOwn(input, field)) || Object.hasOwn(out, field)) {
      ignored.push(at);
      continue;
    }
    out[field] = walk(known.get(field)!, value, reading, path ? `${path}.${field}` : field, ignored);
  }
  return out;
}

/** The shape of an object schema behind wrappers, or undefined when it is not one. */
function objectShape(schema: AnySchema): Record<string, AnySchema> | undefined {
  const def = schema._def as { typeName: string } & Record<string, unknown>;
  switch (def.typeName) {
    case 'ZodObject':
      return shapeOf(schema);
    case 'ZodOptional':
    case 'ZodNullable':
    case 'ZodDefault':
      return objectShape(def.innerType as AnySchema);
    case 'ZodEffects':
      return objectShape(def.schema as AnySchema);
    default:
      return undefined;
  }
}

function shapeOf(schema: AnySchema): Record<string, AnySchema> {
  return (schema as z.AnyZodObject).shape as Record<string, AnySchema>;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A key of an envelope or a request object (`provisionWatcher` in a batch
 * item, `event` in an AddEventRequest), found as encoding/json would find it:
 * exactly, else case-insensitively.
 */
export function edgexKey(input: Record<string, unknown>, key: string): unknown {
  if (Object.hasOwn(input, key)) return input[key];
  const lower = key.toLowerCase();
  for (const [name, value] of Object.entries(input)) if (name.toLowerCase() === lower) return value;
  return undefined;
}
