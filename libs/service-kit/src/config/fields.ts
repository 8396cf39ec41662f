/**
 * Service configuration: read from environment variables here and nowhere else,
 * validated once at boot, so a wrong setting stops the service with a message
 * that names the variable instead of failing later at first use.
 *
 * Naming: a schema key in camelCase maps to an UPPER_SNAKE variable with the
 * prefix `GW_`. A service that passes its own prefix (e.g. `metadata`) reads
 * `GW_METADATA_<KEY>` first and falls back to the shared `GW_<KEY>`:
 *
 *   port      -> GW_METADATA_PORT, then GW_PORT
 *   logLevel  -> GW_METADATA_LOG_LEVEL, then GW_LOG_LEVEL
 *   apiKey    -> GW_METADATA_API_KEY, then GW_API_KEY
 *
 * So in the one-process gateway `GW_LOG_LEVEL=debug` applies everywhere while
 * `GW_METADATA_PORT=6001` moves one service. Any variable can instead be given
 * as `<NAME>_FILE` holding the path of a file with the value (Docker secrets),
 * e.g. GW_API_KEY_FILE=/run/secrets/api-key. Empty values count as unset, so a
 * compose file may pass `GW_API_KEY: ${GW_API_KEY}` through when it is not set.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ErrorKind, GatewayError, parseDuration, redactCredentials, redactUrl } from '@gw/contracts';

// ---------------------------------------------------------------------------
// Field helpers. Each accepts the raw string from the environment and also an
// already typed value, so defaults read naturally: port().default(59881),
// byteSize().default('4mb'). Messages say what is expected and what was given.
// ---------------------------------------------------------------------------

type Parse<T> = (value: string | number | boolean) => T | undefined;

/** A config field: `expected` completes "expected ..., got <value>". */
export function field<T>(expected: string, parse: Parse<T>): z.ZodEffects<z.ZodUnknown, T, unknown> {
  return z.unknown().transform((value, ctx) => {
    if (value === undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `required: expected ${expected}` });
      return z.NEVER;
    }
    const parsed =
      typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
        ? parse(typeof value === 'string' ? value.trim() : value)
        : undefined;
    if (parsed === undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expected ${expected}, got ${echoValue(value)}` });
      return z.NEVER;
    }
    return parsed;
  });
}

/**
 * A given value as an error message shows it: quoted, with the password of a
 * URL and `password=`-style pairs replaced by `***` (a mistyped database or
 * broker URL is still someone's credentials).
 */
function echoValue(value: unknown): string {
  return JSON.stringify(typeof value === 'string' ? redactCredentials(redactUrl(value)) : value);
}

export function int(min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) {
  const range =
    min === Number.MIN_SAFE_INTEGER
      ? 'an integer'
      : max === Number.MAX_SAFE_INTEGER
        ? `an integer >= ${min}`
        : `an integer ${min}-${max}`;
  return field(range, (v) => {
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^[+-]?\d+$/.test(v) ? Number(v) : NaN;
    return Number.isInteger(n) && n >= min && n <= max ? n : undefined;
  });
}

/** A TCP port; 0 asks the OS for a free one (tests, ephemeral gateways). */
export const port = () => int(0, 65535);

/** A Go-style duration (`500ms`, `20s`, `1h30m`, or `0`), as milliseconds. */
export const duration = () =>
  field('a duration such as 500ms, 20s, 1m or 1h30m', (v) => {
    if (typeof v === 'number') return v >= 0 ? v : undefined;
    if (v === '0') return 0;
    try {
      return typeof v === 'string' ? parseDuration(v) : undefined;
    } catch {
      return undefined;
    }
  });

/** A duration that must be more than 0 (a timeout of 0 would mean "wait forever" to most clients). */
export const positiveDuration = () => duration().refine((ms) => ms > 0, 'expected a duration above 0, such as 300ms or 5s');

export const bool = () =>
  field('true, false, 1 or 0', (v) => {
    if (typeof v === 'boolean') return v;
    const s = String(v).toLowerCase();
    return s === 'true' || s === '1' ? true : s === 'false' || s === '0' ? false : undefined;
  });

/** One of fixed values, case-insensitive (EdgeX writes `INFO`); yields the listed spelling. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return field(
    `one of ${values.join(', ')}`,
    (v): T[number] | undefined => values.find((x) => x.toLowerCase() === String(v).toLowerCase()),
  );
}

export function url(protocols: string[] = ['http:', 'https:']) {
  return field(`a URL (${protocols.join(' ')})`, (v) => {
    if (typeof v !== 'string') return undefined;
    try {
      return protocols.includes(new URL(v).protocol) ? v : undefined;
    } catch {
      return undefined;
    }
  });
}

/**
 * Web origins (`scheme://host[:port]`, comma-separated) as a list, or `*` for any;
 * what a browser sends in its Origin header, so a path or a trailing slash is refused.
 */
export const origins = () =>
  field('comma-separated origins such as https://console.plant.local,http://localhost:4000 (no path), or *', (v) => {
    const list = String(v).split(',').map((s) => s.trim()).filter(Boolean);
    const isOrigin = (o: string) => {
      try {
        const u = new URL(o);
        return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === o;
      } catch {
        return false;
      }
    };
    return list.length && list.every((o) => o === '*' || isOrigin(o)) ? list : undefined;
  });

const KIB = 1024;
// prettier-ignore
const BYTE_UNITS: Record<string, number> = {
  '': 1, b: 1,
  k: KIB, kb: KIB, kib: KIB,
  m: KIB ** 2, mb: KIB ** 2, mib: KIB ** 2,
  g: KIB ** 3, gb: KIB ** 3, gib: KIB ** 3,
};

/** A size such as `4mb`, `512kb`, `1048576` (binary units: 1kb = 1024 bytes), as bytes. */
export const byteSize = () =>
  field('a size such as 512kb, 4mb or 1048576', (v) => {
    if (typeof v === 'number') return Number.isInteger(v) && v > 0 ? v : undefined;
    const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(String(v));
    const unit = m ? BYTE_UNITS[m[2].toLowerCase()] : undefined;
    return m && unit !== undefined && Number(m[1]) > 0 ? Math.floor(Number(m[1]) * unit) : undefined;
  });

/** Non-empty text. */
export const text = () => field('a non-empty text', (v) => (typeof v === 'string' && v !== '' ? v : undefined));

/** An API key: sent as `Authorization: Bearer <key>`, so visible ASCII only (a line break or other control character would break the header, and fetch's error would quote it). */
export const apiKeyText = () => field('visible ASCII characters only (it is sent in an HTTP header)', (v) => (typeof v === 'string' && /^[\x21-\x7e]+$/.test(v) ? v : undefined));

// ---------------------------------------------------------------------------
// Secrets: marked fields are redacted in GET /config and never echoed in errors.
// ---------------------------------------------------------------------------

const secretSchemas = new WeakSet<z.ZodTypeAny>();

/** Marks a field as secret: `apiKey: secret(text()).optional()`. */
export function secret<T extends z.ZodTypeAny>(schema: T): T {
  secretSchemas.add(schema);
  return schema;
}

/** Whether a field is secret, looking through optional()/default()/nullable()/transform() wrappers. */
export function isSecretField(schema: z.ZodTypeAny): boolean {
  return wrappedSchemas(schema).some((s) => secretSchemas.has(s));
}

/** A field and the schemas it wraps (optional()/default()/nullable()/transform()). */
function wrappedSchemas(schema: z.ZodTypeAny): z.ZodTypeAny[] {
  const found: z.ZodTypeAny[] = [];
  for (let s: z.ZodTypeAny | undefined = schema; s; ) {
    found.push(s);
    const def = s._def as { innerType?: z.ZodTypeAny; schema?: z.ZodTypeAny };
    s = def.innerType ?? def.schema;
  }
  return found;
}

// ---------------------------------------------------------------------------
// Rules between settings (a bus URL must fit the bus type): checked after every
// field is valid, and reported under the variable of the field that carries the rule.
// ---------------------------------------------------------------------------

/**
 * What a sibling rule says about a set value: undefined when it fits, else a
 * message completing "<VARIABLE>: ...". `nameOf` gives the variable a sibling
 * was read from (GW_METADATA_BUS_TYPE or GW_BUS_TYPE), to name it in the message.
 */
export type SiblingRule<T> = (value: T, config: Record<string, unknown>, nameOf: (key: string) => string) => string | undefined;

const siblingRules = new WeakMap<z.ZodTypeAny, SiblingRule<never>>();

/** Adds a rule that a set value must meet given the other settings: `busUrl: checkedAgainst(url(...), fitsBusType)`. */
export function checkedAgainst<T extends z.ZodTypeAny>(schema: T, rule: SiblingRule<z.output<T>>): T {
  siblingRules.set(schema, rule as SiblingRule<never>);
  return schema;
}

function siblingRuleOf(schema: z.ZodTypeAny): SiblingRule<unknown> | undefined {
  for (const s of wrappedSchemas(schema)) {
    const rule = siblingRules.get(s);
    if (rule) return rule as SiblingRule<unknown>;
  }
  return undefined;
}

/**
 * Keys of a loaded config that are secret, stored on the object itself as a
 * non-enumerable symbol: invisible to JSON, logs and toEqual. A spread copy
 * loses it; then pass the keys explicitly (createServiceApp's `secretKeys`).
 */
export const SECRET_KEYS: unique symbol = Symbol('gw.secretKeys');

export function secretKeysOf(config: object): string[] {
  return (config as { [SECRET_KEYS]?: string[] })[SECRET_KEYS] ?? [];
}

// ---------------------------------------------------------------------------
// Settings every service has.
// ---------------------------------------------------------------------------

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** `auto`: one readable, coloured line per event on a terminal, JSON lines otherwise (docker logs, files, pipes). */
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** EdgeX core-metadata accepts device profiles of several MB; 4 MiB leaves room without inviting abuse. */
export const DEFAULT_MAX_BODY = '4mb';

/**
 * Fields for a service's schema; compose them with its own:
 *
 *   const MetadataConfig = z.object({
 *     ...commonServiceConfig({ serviceName: 'core-metadata', port: 59881 }),
 *     database: text().default('sqlite:./data/metadata.db'),
 *   });
 *   const config = loadConfig(MetadataConfig, process.env, 'metadata');
 */
export function commonServiceConfig(defaults: { serviceName: string; port: number }) {
  return {
    serviceName: text().default(defaults.serviceName),
    host: text().default('0.0.0.0'),
    port: port().default(defaults.port),
    logLevel: oneOf(LOG_LEVELS).default('info'),
    /** GW_LOG_FORMAT: `auto` (readable on a terminal, JSON otherwise), `json` or `pretty`. */
    logFormat: oneOf(LOG_FORMATS).default('auto'),
    /** Largest accepted request body and uploaded file, in bytes. */
    maxBody: byteSize().default(DEFAULT_MAX_BODY),
    /** When set, every route except GET /api/v3/ping needs it (Bearer or X-API-Key). */
    apiKey: secret(apiKeyText()).optional(),
    /** Browser origins allowed to call the API (CORS); none when unset. */
    corsOrigins: origins().optional(),
    /** Where the service keeps files of its own (the POST /api/v3/secret store in secrets/); must be writable. */
    dataDir: text().default('./data'),
    /** GW_OPENAPI_UI: Swagger UI at /api/v3/docs; false leaves it out (GET /api/v3/openapi.json stays). */
    openapiUi: bool().default(true),
  };
}

export interface CommonServiceConfig {
  serviceName: string;
  host: string;
  port: number;
  logLevel: LogLevel;
  logFormat?: LogFormat;
  maxBody: number;
  apiKey?: string;
  corsOrigins?: string[];
  /** Files of the service's own (secrets/); default ./data. */
  dataDir?: string;
  /** Swagger UI at /api/v3/docs (default true). */
  openapiUi?: boolean;
}

// ---------------------------------------------------------------------------
// Loading.
// ---------------------------------------------------------------------------

/** `maxBody` -> `MAX_BODY`. */
export function toEnvKey(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toUpperCase();
}

/** The variables a key is read from, most specific first. */
export function envNames(key: string, prefix?: string): string[] {
  const shared = `GW_${toEnvKey(key)}`;
  if (!prefix) return [shared];
  const service = toEnvKey(prefix).replace(/^GW_/, '').replace(/_+$/, '');
  return [`GW_${service}_${toEnvKey(key)}`, shared];
}

/**
 * Every variable loadConfig(schema, env, prefix) could read, `_FILE` forms
 * included: what a service tells unknownVariables it knows.
 */
export function configVariables(schema: z.ZodObject<z.ZodRawShape>, prefix?: string): string[] {
  return withFileForms(Object.keys(schema.shape).flatMap((key) => envNames(key, prefix)));
}

/** Every variable loadSettings(schema, env, prefix) could read, `_FILE` forms included. */
export function settingsVariables(schema: z.ZodObject<z.ZodRawShape>, prefix: string): string[] {
  return withFileForms(Object.keys(schema.shape).map((key) => envNames(key, prefix)[0]));
}

function withFileForms(names: string[]): string[] {
  return [...new Set(names.flatMap((name) => [name, `${name}_FILE`]))];
}

type Env = Record<string, string | undefined>;

interface RawSetting {
  value?: string;
  /** The variable the value came from (or the one to set, when none was). */
  source: string;
  problem?: string;
}

/** Whether a variable is set: an empty value counts as unset (compose passes `GW_X: ${GW_X}` through unset). */
export function isSet(env: Env, name: string): boolean {
  return env[name] !== undefined && env[name] !== '';
}

function readSetting(names: string[], env: Env): RawSetting {
  const set = (name: string) => (isSet(env, name) ? env[name] : undefined);
  for (const name of names) {
    const direct = set(name);
    const file = set(`${name}_FILE`);
    if (direct !== undefined && file !== undefined) {
      return { source: name, problem: `set either ${name} or ${name}_FILE, not both` };
    }
    if (direct !== undefined) return { value: direct, source: name };
    if (file !== undefined) {
      try {
        // Files written by editors and `echo` end with a newline that is not part of the value.
        return { value: readFileSync(file, 'utf8').replace(/\r?\n$/, ''), source: `${name}_FILE` };
      } catch (err) {
        return { source: `${name}_FILE`, problem: `cannot read ${file}: ${(err as Error).message}` };
      }
    }
  }
  return { source: names[0] };
}

/**
 * Reads every key of `schema` from the environment and validates them all;
 * throws GatewayError(ConfigInvalid) listing every wrong setting by variable name.
 */
export function loadConfig<T extends z.ZodObject<z.ZodRawShape>>(
  schema: T,
  env: Env = process.env,
  prefix?: string,
): z.output<T> {
  return loadFrom(schema, env, (key) => envNames(key, prefix));
}

/**
 * Reads settings that belong to one part only, from `GW_<PREFIX>_<KEY>` and
 * nowhere else (a driver's `GW_MODBUS_SCAN`; there is no shared `GW_SCAN`).
 */
export function loadSettings<T extends z.ZodObject<z.ZodRawShape>>(schema: T, env: Env, prefix: string): z.output<T> {
  return loadFrom(schema, env, (key) => envNames(key, prefix).slice(0, 1));
}

function loadFrom<T extends z.ZodObject<z.ZodRawShape>>(schema: T, env: Env, namesOf: (key: string) => string[]): z.output<T> {
  const raw: Record<string, string | undefined> = {};
  const sources: Record<string, RawSetting> = {};
  const problems: string[] = [];
  const secrets = Object.keys(schema.shape).filter((key) => isSecretField(schema.shape[key]));

  for (const key of Object.keys(schema.shape)) {
    const setting = readSetting(namesOf(key), env);
    sources[key] = setting;
    if (setting.problem) problems.push(`${setting.source}: ${setting.problem}`);
    else raw[key] = setting.value;
  }

  const result = schema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const key = String(issue.path[0] ?? '');
      if (sources[key]?.problem) continue; // already reported
      let message = issue.message === 'Required' ? 'required, not set' : issue.message;
      const value = raw[key];
      if (value) {
        // A secret is never echoed; any other value (or part of one) only with its credentials hidden.
        const shown = secrets.includes(key) ? '"***"' : echoValue(value);
        message = redactCredentials(message.split(echoValue(value)).join(shown).split(JSON.stringify(value)).join(shown));
      }
      problems.push(key in sources ? `${sources[key].source}: ${message}` : `configuration: ${message}`);
    }
  }
  if (result.success && !problems.length) {
    const data = result.data as Record<string, unknown>;
    const nameOf = (key: string) => sources[key]?.source ?? namesOf(key)[0];
    for (const key of Object.keys(schema.shape)) {
      const rule = siblingRuleOf(schema.shape[key]);
      const message = rule && data[key] !== undefined ? rule(data[key], data, nameOf) : undefined;
      if (message) problems.push(`${nameOf(key)}: ${redactCredentials(message)}`);
    }
  }
  if (problems.length || !result.success) {
    throw new GatewayError(ErrorKind.Config, `invalid configuration: ${problems.join('; ')}`);
  }
  const config: z.output<T> = result.data;
  Object.defineProperty(config, SECRET_KEYS, { value: secrets, enumerable: false });
  return config;
}

/**
 * The problems of several loads (a service's general settings, its port, each
 * driver's settings, retired variables), reported together in one Config error
 * `invalid configuration: a; b; c` rather than one per restart.
 */
export class ConfigProblems {
  private readonly problems: string[] = [];

  add(...problems: string[]): void {
    this.problems.push(...problems);
  }

  /** What `load` returns; undefined when it throws a Config error, whose problems are kept. */
  check<T>(load: () => T): T | undefined {
    try {
      return load();
    } catch (err) {
      if (!GatewayError.is(err, ErrorKind.Config)) throw err;
      this.problems.push(err.message.replace(/^invalid configuration: /, ''));
      return undefined;
    }
  }

  /** Throws GatewayError(Config) listing every problem, when there is any. */
  throwIfAny(): void {
    if (this.problems.length) throw new GatewayError(ErrorKind.Config, `invalid configuration: ${this.problems.join('; ')}`);
  }
}

/** Options a caller left undefined must not override the defaults they are spread over. */
export function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}
