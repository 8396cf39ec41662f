/**
 * Requests for one documented operation, valid and invalid, as fast-check
 * arbitraries: bodies from the route's own zod schemas (zod-fast-check), then
 * mutated (a node replaced by any JSON value, a key dropped), or any JSON, or
 * text that is not JSON; path parameters related to one another from what the
 * gateway has (./world.ts), or from their schemas, names the gateway has and
 * any text; query parameters from their schemas and from any text.
 */
import fc from 'fast-check';
import { z } from 'zod';
import { ZodFastCheck } from 'zod-fast-check';
import { stringify } from 'yaml';
import { DeviceProfile, Duration } from '@gw/contracts';
import type { ApiRoute } from '@gw/service-kit';
import { Related, relatedOf, relatedParam, World } from './world';

export interface ContractRequest {
  method: string;
  /** Below /api/v3, parameters filled in and encoded. */
  path: string;
  query: Record<string, string>;
  /** JSON text, other text, or a file for a multipart upload. */
  body?: { contentType: string; text: string } | { multipartFile: string };
  /** Without the API key: every route but the open ones must answer 401. */
  withoutKey: boolean;
  /** With a wrong API key: must answer 401 like no key. */
  wrongKey?: boolean;
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

const generatedProfile = fromSchema(DeviceProfile, fc.constant({ name: 'none' }));

function bodyArbitrary(route: ApiRoute, world: World): fc.Arbitrary<{ kind: string; body?: ContractRequest['body'] }> {
  if (route.bodyTypes?.['multipart/form-data']) {
    const known = [...world.profiles.values()];
    // POST adds a new profile, PUT replaces one the gateway has: each mostly gets the valid file it takes.
    const [same, renamed] = route.method === 'post' ? [1, 5] : [5, 1];
    return fc.oneof(
      // A valid file: a profile the gateway has (PUT replaces it with itself) or the same under a new name (POST adds it); generated ones mostly break a cross-field rule.
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('file: a generated profile'), body: generatedProfile.map((p) => ({ multipartFile: stringify(p) })) }) },
      ...(known.length
        ? [
            { weight: same, arbitrary: fc.record({ kind: fc.constant('file: a known profile'), body: fc.constantFrom(...known).map((p) => ({ multipartFile: stringify(p) })) }) },
            { weight: renamed, arbitrary: fc.record({ kind: fc.constant('file: a known profile renamed'), body: fc.tuple(fc.constantFrom(...known), fc.nat()).map(([p, n]) => ({ multipartFile: stringify({ ...p, id: undefined, name: `${p.name}-${n}` }) })) }) },
          ]
        : []),
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('file: any JSON'), body: fc.jsonValue().map((v) => ({ multipartFile: json(v) })) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('file: any text'), body: fc.string().map((text) => ({ multipartFile: text })) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('JSON instead of a file'), body: fc.jsonValue().map((v) => ({ contentType: 'application/json', text: json(v) })) }) },
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

function paramArbitrary(names: readonly string[], schema: z.ZodTypeAny | undefined): fc.Arbitrary<string> {
  const anyText = fc.oneof(
    { weight: 4, arbitrary: names.length ? fc.constantFrom(...names) : fc.constant('none') },
    { weight: 2, arbitrary: fc.string({ minLength: 1, maxLength: 40 }) },
    { weight: 1, arbitrary: fc.fullUnicodeString({ minLength: 1, maxLength: 300 }) },
    { weight: 1, arbitrary: NANOS },
    { weight: 1, arbitrary: fc.uuid() },
    // An empty segment: `/device/name/` still reaches the route, with an empty name.
    { weight: 1, arbitrary: fc.constant('') },
  );
  const valid = schema ? fromSchema(schema, anyText).map(String) : anyText;
  return fc.oneof(valid, anyText).filter(notDotSegment);
}

function queryArbitrary(route: ApiRoute): fc.Arbitrary<Record<string, string>> {
  const shape = route.query?.shape ?? {};
  const entries = Object.entries(shape).map(([key, schema]) => {
    let inner = schema as z.ZodTypeAny;
    while (inner instanceof z.ZodOptional || inner instanceof z.ZodDefault) inner = inner instanceof z.ZodOptional ? inner.unwrap() : inner.removeDefault();
    // Paging within what the gateway has (a big offset is a 416, right but no listing).
    const paging = key === 'offset' ? fc.constantFrom('0', '1', '-1') : key === 'limit' ? fc.constantFrom('-1', '1', '20') : undefined;
    const valid = paging ?? fromSchema(inner, fc.string()).filter((v) => v !== undefined).map(String);
    const any = fc.oneof(valid, fc.string(), fc.constantFrom('true', 'false', '1', 't', 'F', '-1', '0', '20', '100000', 'min', 'AVG', 'sum', 'nope'));
    return [key, fc.option(valid, { nil: undefined, freq: 2 }), fc.option(any, { nil: undefined, freq: 2 })] as const;
  });
  const record = (pick: 1 | 2) => fc.record(Object.fromEntries(entries.map((e) => [e[0], e[pick]]))) as fc.Arbitrary<Record<string, string | undefined>>;
  const extra = fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.tuple(fc.string({ minLength: 1 }), fc.string()) });
  // Valid values only (a listing's success), or any value of any parameter, maybe one the route does not know.
  return fc.tuple(fc.oneof({ weight: 2, arbitrary: record(1) }, { weight: 1, arbitrary: record(2) }), extra).map(([values, more]) => {
    const query: Record<string, string> = {};
    for (const [key, value] of Object.entries(values)) if (value !== undefined) query[key] = value;
    if (more && !(more[0] in query)) query[more[0]] = more[1];
    return query;
  });
}

/** A valid event made to fit its device: the names of the path, each reading's value in the field its valueType calls for. */
function fitEvent(body: unknown, related: Related): unknown {
  const event = (body as { event?: Record<string, unknown> })?.event;
  if (!event || typeof event !== 'object') return body;
  const names = { deviceName: related.device.name, profileName: related.profile.name };
  const readings = (event.readings as Array<Record<string, unknown>> | undefined)?.map((r) => {
    const reading = { ...r, ...names, resourceName: related.resource };
    if ('binaryValue' in r) return { ...reading, valueType: 'Binary' };
    if ('value' in r) return { ...reading, valueType: ['Binary', 'Object', 'ObjectArray'].includes(String(r.valueType)) ? 'String' : r.valueType };
    return { ...reading, valueType: 'Object', objectValue: r.objectValue ?? {} };
  });
  return { ...(body as object), event: { ...event, ...names, sourceName: related.resource, readings } };
}

/** A tags patch naming the profile's own resources and commands. */
function fitTags(body: unknown, related: Related): unknown {
  const patch = body as { deviceResources?: Array<{ name: string }>; deviceCommands?: Array<{ name: string }> };
  const rename = (items: Array<{ name: string }> | undefined, names: string[]) => (names.length ? items?.map((item, i) => ({ ...item, name: names[i % names.length] })) : undefined);
  return {
    ...patch,
    deviceResources: rename(patch.deviceResources, related.profile.deviceResources.map((r) => r.name)),
    deviceCommands: rename(patch.deviceCommands, related.profile.deviceCommands.map((c) => c.name)),
  };
}

/**
 * Any request for `route`. Path parameters: half the time one device's and its
 * kin's (its profile, a resource, a readable or writable command, an event;
 * `devices` are those the service under test serves, when it serves any), the
 * body fitted to them where an operation's body must match (a command's values,
 * an event); else each from its schema, names the gateway has, or any text.
 */
export function requestArbitrary(route: ApiRoute, world: World, groups: ReadonlyArray<World['devices']>): fc.Arbitrary<ContractRequest> {
  // The first group (the devices) as often as all the others together.
  const devices = groups
    .map((g, i) => ({ g, weight: i === 0 ? Math.max(1, groups.length - 1) : 1 }))
    .filter(({ g }) => g.length)
    .map(({ g, weight }) => ({ weight, arbitrary: fc.constantFrom(...g) }));
  const paramNames = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
  const shape = (route.params?.shape ?? {}) as Record<string, z.ZodTypeAny>;
  const independent = fc.tuple(...paramNames.map((p) => paramArbitrary(world.names, shape[p])));
  const unrelated = fc.tuple(independent, bodyArbitrary(route, world)).map(([values, { kind, body }]) => {
    // An event's path names what its body names (else every valid event is a 400 for the mismatch).
    const event = paramNames.includes('sourceName') && body && 'text' in body && kind === 'valid body' ? (JSON.parse(body.text) as { event?: Record<string, string> }).event : undefined;
    return { values: event ? paramNames.map((p, i) => (p in event ? String(event[p]) : values[i])) : values, kind, body };
  });
  const arms = [{ weight: 1, arbitrary: unrelated }];
  if (devices.length) {
    const related = fc.tuple(fc.oneof(...devices), fc.nat()).map(([device, pick]) => relatedOf(world, device, pick));
    // Where the body must fit the path (an event, a profile's tags), the related requests send a valid body made to fit.
    const fitted = route.body && (paramNames.includes('sourceName') || route.path.endsWith('/tags'));
    const bodies = fitted ? fromSchema(route.body!, fc.jsonValue()).map((v) => ({ kind: 'valid body', body: { contentType: 'application/json', text: json(v) } as ContractRequest['body'] })) : bodyArbitrary(route, world);
    const withRelated = fc.tuple(related, independent, bodies).map(([kin, fallback, { kind, body }]) => {
      const values = paramNames.map((p, i) => {
        const value = relatedParam(kin, route.path, route.method, p);
        return value !== undefined && notDotSegment(value) ? value : fallback[i];
      });
      // A device the gateway has (as core-metadata answers it), for the device service to validate.
      if (route.path === '/validate/device' && kin.device.id !== 'none') return { values, kind: 'a known device to validate', body: { contentType: 'application/json', text: json({ apiVersion: 'v3', device: kin.device }) } };
      if (paramNames.includes('command') && route.method === 'put' && kin.writable) return { values, kind: 'related values to write', body: { contentType: 'application/json', text: json(kin.writable.values) } };
      if (route.path.endsWith('/tags') && body && 'text' in body && kind === 'valid body') return { values, kind: 'valid tags of a known profile', body: { ...body, text: json(fitTags(JSON.parse(body.text), kin)) } };
      if (paramNames.includes('sourceName') && body && 'text' in body && kind === 'valid body') return { values, kind: 'valid event of a known device', body: { ...body, text: json(fitEvent(JSON.parse(body.text), kin)) } };
      return { values, kind: `${kind}, related path`, body };
    });
    arms.push({ weight: 2, arbitrary: withRelated });
  }
  return fc.tuple(fc.oneof(...arms), queryArbitrary(route), fc.nat(19)).map(([{ values, kind, body }, query, dice]) => {
    let i = 0;
    const path = route.path.replace(/\{[^}]+\}/g, () => encodeURIComponent(values[i++]));
    return { method: route.method.toUpperCase(), path, query, body, withoutKey: dice === 0, wrongKey: dice === 1, kind };
  });
}
