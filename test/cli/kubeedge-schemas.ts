/**
 * KubeEdge's device CRD schemas (test/fixtures/kubeedge, vendored from
 * kubeedge/kubeedge) as ajv validators, checked the way `kubectl apply`'s
 * strict field validation does: a field the schema does not name is an error,
 * except under x-kubernetes-preserve-unknown-fields (configData, status).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { ValidateFunction } from 'ajv';
import { parse } from 'yaml';

const FIXTURES = join(__dirname, '../fixtures/kubeedge');

type Schema = Record<string, any>;

/** additionalProperties: false on every object that lists its properties and does not keep unknown fields. */
function strict(schema: Schema): Schema {
  if (Array.isArray(schema)) return schema.map(strict);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    out[key] = key === 'properties' && value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, strict(sub as Schema)]))
      : strict(value as Schema);
  }
  if (out.type === 'object' && out.properties && out.additionalProperties === undefined && !out['x-kubernetes-preserve-unknown-fields']) {
    out.additionalProperties = false;
  }
  return out;
}

function compile(file: string): ValidateFunction {
  const ajv = new Ajv({ allErrors: true, strict: true });
  ajv.addKeyword({ keyword: 'x-kubernetes-preserve-unknown-fields' });
  ajv.addKeyword({ keyword: 'x-kubernetes-map-type' });
  // OpenAPI's integer formats: the range they name.
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
  return ajv.compile(strict(parse(readFileSync(join(FIXTURES, file), 'utf8'))));
}

export const kubeedgeSchemas = {
  DeviceModel: compile('devices_v1beta1_devicemodel.schema.yaml'),
  Device: compile('devices_v1beta1_device.schema.yaml'),
};

/** The schema's complaints about one object, as `path: message` lines (empty when valid). */
export function schemaErrors(object: { kind?: string }): string[] {
  const validate = kubeedgeSchemas[object.kind as keyof typeof kubeedgeSchemas];
  if (!validate) return [`kind ${object.kind}: no schema`];
  return validate(object) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${e.params.additionalProperty})` : ''}`);
}
