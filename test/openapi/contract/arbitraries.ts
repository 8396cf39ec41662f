/**
 * Requests for one documented operation, valid and invalid, as fast-check
 * arbitraries: bodies from the route's own zod schemas (zod-fast-check), then
 * mutated (a node replaced by any JSON value, a key dropped), or any JSON, or
 * text that is not JSON; path parameters from names the gateway has and
 * from any text; query parameters from their schemas and from any text.
 */
import fc from 'fast-check';
import { z } from 'zod';
import { ZodFastCheck } from 'zod-fast-check';
import { Duration } from '@gw/contracts';
import type { ApiRoute } from '@gw/service-kit';

export interface ContractRequest {
  method: string;
  /** Below /api/v3, parameters filled in and encoded. */
  path: string;
  query: Record<string, string>;
  /** JSON text, other text, or a file for a multipart upload. */
  body?: { contentType: string; text: string } | { multipartFile: string };
  /** Without the API key: every route but the open ones must answer 401. */
  withoutKey: boolean;
  /** What kind of request this is, for the failure message. */
  kind: string;
}

const DURATIONS = fc.oneof(fc.constantFrom('1s', '500ms', '1m', '1h30m', '20s'), fc.integer({ min: 1, max: 100_000 }).map((n) => `${n}ms`));

/**
 * zod-fast-check cannot invent strings for a regex or values for a pipe (it filters random
 * values and gives up): every regex-checked string of the schema gets fc.stringMatching,
 * every pipe small numbers that pass it, durations a duration.
 */
function withOverrides(schema: z.ZodTypeAny) {
  let zfc = ZodFastCheck().override(Duration, DURATIONS);
  const seen = new Set<z.ZodTypeAny>();
  const visit = (node: z.ZodTypeAny | undefined): void => {
    if (!node || seen.has(node)) return;
    seen.add(node);
    const def = node._def as Record<string, unknown> & { typeName: string };
    if (def.typeName === 'ZodString') {
      const regex = (def.checks as Array<{ kind: string; regex?: RegExp }>).find((c) => c.kind === 'regex')?.regex;
      if (regex) zfc = zfc.override(node, fc.stringMatching(regex));
      return;
    }
    if (def.typeName === 'ZodNumber') {
      // Finite only: JSON has no Infinity (it would travel as null), so such a body is not a valid request.
      zfc = zfc.override(node, fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })).filter((v) => node.safeParse(v).success));
      return;
    }
    if (def.typeName === 'ZodPipeline') {
      // Numbers written as numbers or text (`mask: "0xFF"` style fields), piped into a check zod-fast-check only filters for.
      const small = fc.integer({ min: 0, max: 255 });
      zfc = zfc.override(node, fc.oneof(small, small.map(String), fc.double({ noNaN: true, noDefaultInfinity: true })).filter((v) => node.safeParse(v).success));
      return;
    }
    if (def.typeName === 'ZodObject') {
      for (const child of Object.values((node as z.AnyZodObject).shape)) visit(child as z.ZodTypeAny);
      visit(def.catchall as z.ZodTypeAny);
      return;
    }
    for (const key of ['innerType', 'schema', 'in', 'out', 'type', 'valueType', 'keyType', 'left', 'right']) visit(def[key] as z.ZodTypeAny | undefined);
    for (const option of (def.options as z.ZodTypeAny[] | undefined) ?? []) visit(option);
  };
  visit(schema);
  return zfc.inputOf(schema);
}

/**
 * The schema's arbitrary, or `fallback` when zod-fast-check gives up on it (a
 * custom refinement random values rarely pass, such as an OPC UA node id).
 */
function fromSchema<T>(schema: z.ZodTypeAny, fallback: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  try {
    const arbitrary = withOverrides(schema);
    fc.sample(arbitrary, { numRuns: 20, seed: 1 });
    return arbitrary;
  } catch {
    return fallback;
  }
}

/** Replaces the n-th node (depth first) of a JSON value with another value, or drops it from its object. */
function mutate(value: unknown, index: number, replacement: unknown, drop: boolean): unknown {
  let count = 0;
  const walk = (node: unknown): unknown => {
    if (count++ === index) return replacement;
    if (Array.isArray(node)) return node.map(walk);
    if (node && typeof node === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(node)) {
        if (drop && count === index) {
          count++;
          continue;
        }
        out[key] = walk(child);
      }
      return out;
    }
    return node;
  };
  return walk(value);
}

/** JSON as the gateway would get it: undefined dropped, no -0 or NaN surprises beyond what JSON.stringify makes. */
const json = (value: unknown) => JSON.stringify(value) ?? 'null';

function bodyArbitrary(route: ApiRoute): fc.Arbitrary<{ kind: string; body?: ContractRequest['body'] }> {
  if (route.bodyTypes?.['multipart/form-data']) {
    return fc.oneof(
      fc.record({ kind: fc.constant('file: any JSON'), body: fc.jsonValue().map((v) => ({ multipartFile: json(v) })) }),
      fc.record({ kind: fc.constant('file: any text'), body: fc.string().map((text) => ({ multipartFile: text })) }),
      fc.record({ kind: fc.constant('JSON instead of a file'), body: fc.jsonValue().map((v) => ({ contentType: 'application/json', text: json(v) })) }),
    );
  }
  if (!route.body) return fc.constant({ kind: 'no body' });
  const valid = fromSchema(route.body, fc.jsonValue());
  return fc.oneof(
    { weight: 3, arbitrary: valid.map((v) => ({ kind: 'valid body', body: { contentType: 'application/json', text: json(v) } })) },
    {
      weight: 3,
      arbitrary: fc.tuple(valid, fc.nat(40), fc.jsonValue({ maxDepth: 2 }), fc.boolean()).map(([v, at, other, drop]) => ({
        kind: 'mutated body',
        body: { contentType: 'application/json', text: json(mutate(v, at, other, drop)) },
      })),
    },
    { weight: 1, arbitrary: fc.jsonValue().map((v) => ({ kind: 'any JSON body', body: { contentType: 'application/json', text: json(v) } })) },
    { weight: 1, arbitrary: fc.string().map((text) => ({ kind: 'text as JSON', body: { contentType: 'application/json', text } })) },
    { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/xml', 'application/x-yaml').chain((contentType) => fc.string().map((text) => ({ kind: `${contentType} body`, body: { contentType, text } }))) },
  );
}

const NANOS = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n }).map(String), fc.constantFrom('0', '-1', '1e9', '99999999999999999999999'));

/** `.` and `..` are not values but dot segments: the URL drops them before the request leaves. */
const notDotSegment = (value: string) => value !== '.' && value !== '..';

function paramArbitrary(names: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: names.length ? fc.constantFrom(...names) : fc.constant('none') },
    { weight: 2, arbitrary: fc.string({ minLength: 1, maxLength: 40 }) },
    { weight: 1, arbitrary: fc.fullUnicodeString({ minLength: 1, maxLength: 300 }) },
    { weight: 1, arbitrary: NANOS },
    { weight: 1, arbitrary: fc.uuid() },
  ).filter(notDotSegment);
}

function queryArbitrary(route: ApiRoute): fc.Arbitrary<Record<string, string>> {
  const shape = route.query?.shape ?? {};
  const entries = Object.entries(shape).map(([key, schema]) => {
    const valid = fromSchema(schema instanceof z.ZodOptional ? schema.unwrap() : (schema as z.ZodTypeAny), fc.string()).map(String);
    const any = fc.oneof(valid, fc.string(), fc.constantFrom('true', 'false', '1', 't', 'F', '-1', '0', '20', '100000', 'min', 'AVG', 'sum', 'nope'));
    return [key, fc.option(any, { nil: undefined, freq: 2 })] as const;
  });
  return fc
    .tuple(fc.record(Object.fromEntries(entries)) as fc.Arbitrary<Record<string, string | undefined>>, fc.option(fc.tuple(fc.string({ minLength: 1 }), fc.string()), { freq: 4 }))
    .map(([values, extra]) => {
      const query: Record<string, string> = {};
      for (const [key, value] of Object.entries(values)) if (value !== undefined) query[key] = value;
      if (extra && !(extra[0] in query)) query[extra[0]] = extra[1];
      return query;
    });
}

/** Any request for `route`, path parameters drawn from `names` (what the gateway has) and from any text. */
export function requestArbitrary(route: ApiRoute, names: readonly string[]): fc.Arbitrary<ContractRequest> {
  const paramNames = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
  const params = fc.tuple(...paramNames.map(() => paramArbitrary(names)));
  return fc.tuple(params, queryArbitrary(route), bodyArbitrary(route), fc.nat(19)).map(([values, query, { kind, body }, dice]) => {
    let i = 0;
    const path = route.path.replace(/\{[^}]+\}/g, () => encodeURIComponent(values[i++]));
    return { method: route.method.toUpperCase(), path, query, body, withoutKey: dice === 0, kind };
  });
}
