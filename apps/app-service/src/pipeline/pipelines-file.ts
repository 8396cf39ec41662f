/**
 * The pipelines file (YAML): the sinks, and the pipelines that feed them,
 * read once at boot. Every problem in it is collected and reported at once,
 * each as `file:line: field.path: message`, in a GatewayError of kind Config
 * (the service refuses to start, exit code 78). Secrets (`${env:NAME}`,
 * `${file:/path}`) are resolved here (secrets.ts); TLS `ca`/`cert`/`key`
 * given as paths are read here. Relative paths are read from the pipelines
 * file's folder.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z, ZodError } from 'zod';
import { DEFAULT_TOPIC_BASE, ErrorKind, FieldIssue, formatIssues, GatewayError, parseDuration, Topics, ValidationError } from '@gw/contracts';
import { formatPath, PathSegment, Problem, toFieldIssues, zodProblems } from '@gw/contracts/problems';
import type { SecretReader } from '@gw/service-kit/config';
import { readYaml } from '@gw/contracts/yaml-text';
import { resolveOutboxOptions } from '../outbox/outbox-options';
import { checkSinkConfig } from '../sinks/check-sink-config';
import { SinkConfig, SinkSchema } from '../sinks/sink-config';
import { patternProblem } from './filters';
import { redactPaths, resolveSecrets, scrubSecrets } from './secrets';

export const TRANSFORMS = ['edgex', 'flat', 'twin'] as const;
export type TransformName = (typeof TRANSFORMS)[number];
export type SinkType = SinkConfig['type'];

const MQTT_SCHEMES = ['mqtt:', 'mqtts:', 'ws:', 'wss:'];

/**
 * What each sink type takes. An AWS shadow stores reported state only, so
 * `twin` is the one transform it accepts; Azure takes telemetry (edgex, flat)
 * as device-to-cloud messages and twin state as reported properties.
 */
export const SINK_RULES: Record<SinkType, { transforms: readonly TransformName[]; schemes: readonly string[]; why?: string }> = {
  http: { transforms: TRANSFORMS, schemes: ['http:', 'https:'] },
  mqtt: { transforms: TRANSFORMS, schemes: MQTT_SCHEMES },
  'aws-shadow': { transforms: ['twin'], schemes: MQTT_SCHEMES, why: 'a shadow stores reported state only' },
  'azure-twin': { transforms: TRANSFORMS, schemes: MQTT_SCHEMES },
  'kubeedge-twin': { transforms: ['twin'], schemes: MQTT_SCHEMES, why: 'a KubeEdge device twin holds reported state only' },
};

export interface FilterConfig {
  /** Regular expressions matching the whole name; see filters.ts for how filters combine. */
  device?: string;
  profile?: string;
  source?: string;
  resource?: string;
  exclude: boolean;
}

export interface BatchConfig {
  /** Deliver once this many records are waiting (1..10,000). */
  count?: number;
  /** Deliver what is waiting once the oldest record has waited this long. */
  intervalMs?: number;
}

export interface PipelineConfig {
  name: string;
  /** Bus topic filters, `<base>/events/#` or under `<base>/events/device/` or `<base>/events/core/`. */
  topics: string[];
  filters: FilterConfig[];
  transform: TransformName;
  batch?: BatchConfig;
  gzip: boolean;
  /** Sink names; each (pipeline, sink) pair is one outbox route `<pipeline>.<sink>`. */
  sinks: string[];
}

export interface PipelinesFile {
  sinks: SinkConfig[];
  pipelines: PipelineConfig[];
}

export interface PipelinesFileOptions {
  /** Where `${env:NAME}` is looked up (default process.env). */
  env?: Record<string, string | undefined>;
  /** The bus topic base (default `edgex`): pipelines may only subscribe to device events under it. */
  topicBase?: string;
  /** Relative paths (TLS files, `${file:...}`) are read from here (default: the current directory). */
  baseDir?: string;
  /** The app service's own secrets (POST /api/v3/secret), for `${secret:NAME/KEY}`. */
  store?: SecretReader;
}

/** Every problem of a pipelines file, with its line; a Config error, so the service exits 78. */
export class PipelinesFileError extends GatewayError {
  constructor(
    readonly issues: FieldIssue[],
    readonly source?: string,
  ) {
    super(ErrorKind.Config, formatIssues(issues, source));
    this.name = 'PipelinesFileError';
  }
}

/** Reads and checks the file; relative paths in it are read from its folder. */
export function loadPipelinesFile(path: string, options: Omit<PipelinesFileOptions, 'baseDir'> = {}): PipelinesFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PipelinesFileError([{ path: '', message: `cannot read the pipelines file (${(err as NodeJS.ErrnoException).code ?? 'error'})` }], path);
  }
  return parsePipelinesFile(text, path, { ...options, baseDir: dirname(resolve(path)) });
}

export function parsePipelinesFile(text: string, source?: string, options: PipelinesFileOptions = {}): PipelinesFile {
  let yaml: ReturnType<typeof readYaml>;
  try {
    yaml = readYaml(text, source);
  } catch (err) {
    if (err instanceof ValidationError) throw new PipelinesFileError(err.issues, source);
    throw err;
  }
  const baseDir = options.baseDir ?? process.cwd();
  const secrets = resolveSecrets(yaml.value ?? {}, { env: options.env ?? process.env, baseDir, store: options.store });
  const problems: Problem[] = [];
  const top = TopLevel.safeParse(secrets.value);
  if (!top.success) problems.push(...within([], top.error));
  const doc = (top.success ? top.data : secrets.value) as { sinks?: unknown; pipelines?: unknown };
  const rawSinks = Array.isArray(doc?.sinks) ? (doc.sinks as unknown[]) : [];
  const rawPipelines = Array.isArray(doc?.pipelines) ? (doc.pipelines as unknown[]) : [];

  const sinks = readSinks(rawSinks, baseDir, problems);
  const pipelines = readPipelines(rawPipelines, rawSinks, sinks, options.topicBase ?? DEFAULT_TOPIC_BASE, problems);

  // A field whose reference failed is empty now: what else is said about it is noise.
  const failed = new Set(secrets.failed.map((path) => formatPath('', path)));
  const all = [...secrets.problems, ...problems.filter((p) => !failed.has(formatPath('', p.path)))];
  if (all.length > 0) {
    const scrubbed = all.map((p) => ({ path: p.path, message: scrubSecrets(p.message, p.path, secrets.fields) }));
    throw new PipelinesFileError(toFieldIssues(scrubbed, { locate: yaml.locate }), source);
  }
  const file: PipelinesFile = { sinks: sinks as SinkConfig[], pipelines };
  SECRET_PATHS.set(file, uniquePaths([...secrets.fields.map((f) => f.path), ...inherentSecretPaths(file.sinks)]));
  return file;
}

/** Paths such as `sinks[0].headers.Authorization` of the fields that hold secrets, for /config-style output. */
export function secretFieldPaths(file: PipelinesFile): string[] {
  return (SECRET_PATHS.get(file) ?? inherentSecretPaths(file.sinks)).map((path) => formatPath('', path));
}

/** A JSON copy of the file's settings with every secret field replaced by `***`. */
export function redactPipelinesFile(file: PipelinesFile): unknown {
  return redactPaths(file, SECRET_PATHS.get(file) ?? inherentSecretPaths(file.sinks));
}

// ---------------------------------------------------------------------------

/** Fields that came from `${...}` references, remembered per loaded file without showing in its JSON. */
const SECRET_PATHS = new WeakMap<PipelinesFile, PathSegment[][]>();
/** Header names that carry credentials even when written literally. */
const SECRET_HEADER = /authorization|cookie|token|secret|password|api-?key/i;

function inherentSecretPaths(sinks: SinkConfig[]): PathSegment[][] {
  return sinks.flatMap((sink, i) => {
    const at: PathSegment[] = ['sinks', i];
    const paths: PathSegment[][] = [];
    if ('url' in sink && sink.url && urlPassword(sink.url)) paths.push([...at, 'url']);
    if ((sink.type === 'mqtt' || sink.type === 'kubeedge-twin') && sink.password !== undefined) paths.push([...at, 'password']);
    if (sink.type === 'azure-twin') paths.push([...at, 'connectionString']);
    if (sink.type === 'http') for (const name of Object.keys(sink.headers)) if (SECRET_HEADER.test(name)) paths.push([...at, 'headers', name]);
    if (sink.tls?.key !== undefined) paths.push([...at, 'tls', 'key']);
    return paths;
  });
}

function urlPassword(url: string): string {
  try {
    return new URL(url).password;
  } catch {
    return '';
  }
}

function uniquePaths(paths: PathSegment[][]): PathSegment[][] {
  const seen = new Map(paths.map((path) => [formatPath('', path), path]));
  return [...seen.values()];
}

const TopLevel = z
  .object({
    sinks: z.array(z.unknown()).default([]),
    pipelines: z.array(z.unknown()).default([]),
  })
  .strict();

function within(at: PathSegment[], error: ZodError): Problem[] {
  return zodProblems(error).map((p) => ({ path: [...at, ...p.path], message: p.message }));
}

// ---- sinks ----------------------------------------------------------------

function readSinks(raw: unknown[], baseDir: string, problems: Problem[]): Array<SinkConfig | undefined> {
  const seen = new Map<string, number>();
  return raw.map((item, i) => {
    const at: PathSegment[] = ['sinks', i];
    const parsed = SinkSchema.safeParse(item);
    if (!parsed.success) {
      problems.push(...within(at, parsed.error));
      return undefined;
    }
    const sink = parsed.data;
    const problemsBefore = problems.length;
    const first = seen.get(sink.name);
    if (first !== undefined) problems.push({ path: [...at, 'name'], message: `"${sink.name}" is already the name of sinks[${first}]` });
    else seen.set(sink.name, i);

    const url = 'url' in sink ? sink.url : undefined;
    const { schemes } = SINK_RULES[sink.type];
    if (url !== undefined && !schemes.includes(protocolOf(url))) {
      problems.push({ path: [...at, 'url'], message: `must be a URL starting with ${schemes.map((s) => `${s}//`).join(', ')}` });
    }
    if ((sink.type === 'aws-shadow' || sink.type === 'azure-twin' || sink.type === 'kubeedge-twin') && sink.devices !== undefined) {
      const problem = patternProblem(sink.devices);
      if (problem) problems.push({ path: [...at, 'devices'], message: problem });
    }
    readTlsFiles(sink, at, baseDir, problems);
    // Building the sink would only repeat what is already said about it.
    if (problems.length === problemsBefore) checkAtBoot(sink, at, problems);
    return sink;
  });
}

/**
 * What only the outbox and the sink itself can judge (durations and sizes,
 * topic templates, a connection string's parts) is tried here, so a mistake
 * stops the boot with its line, together with every other problem, instead
 * of later, alone, without loading any sink or its client library.
 */
function checkAtBoot(sink: SinkConfig, at: PathSegment[], problems: Problem[]): void {
  try {
    resolveOutboxOptions(sink.outbox);
  } catch (err) {
    // resolveOutboxOptions names the field: `outbox.maxAge: ...`.
    const message = (err as Error).message;
    const split = message.indexOf(': ');
    const field = split > 0 ? message.slice(0, split) : 'outbox';
    problems.push({ path: [...at, ...field.split('.')], message: split > 0 ? message.slice(split + 2) : message });
  }
  try {
    checkSinkConfig(sink);
  } catch (err) {
    problems.push({ path: at, message: (err as Error).message });
  }
}

function protocolOf(url: string): string {
  try {
    return new URL(url).protocol;
  } catch {
    return '';
  }
}

/** PEM text is kept as written; anything else is a path, read now so a missing file stops the boot. */
function readTlsFiles(sink: SinkConfig, at: PathSegment[], baseDir: string, problems: Problem[]): void {
  const tls = sink.tls;
  if (!tls) return;
  for (const field of ['ca', 'cert', 'key'] as const) {
    const value = tls[field];
    if (value === undefined || value.includes('-----BEGIN')) continue;
    try {
      tls[field] = readFileSync(resolve(baseDir, value), 'utf8');
    } catch (err) {
      problems.push({ path: [...at, 'tls', field], message: `cannot read ${value} (${(err as NodeJS.ErrnoException).code ?? 'error'})` });
    }
  }
}

// ---- pipelines ------------------------------------------------------------

/** No dot: route names `<pipeline>.<sink>` then split one way only (sink names may hold dots). */
const PIPELINE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const COUNT_RULE = 'must be a whole number from 1 to 10000';

const Pattern = z
  .string()
  .min(1, 'must not be empty')
  .superRefine((text, ctx) => {
    const problem = patternProblem(text);
    if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
  });

const FilterSchema = z
  .object({
    device: Pattern.optional(),
    profile: Pattern.optional(),
    source: Pattern.optional(),
    resource: Pattern.optional(),
    exclude: z.boolean().default(false),
  })
  .strict()
  .refine((f) => [f.device, f.profile, f.source, f.resource].some((v) => v !== undefined), 'name at least one of device, profile, source, resource');

const Interval = z.string({ invalid_type_error: 'must be a duration such as 500ms, 2s or 1m' }).transform((text, ctx) => {
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch (err) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: (err as Error).message });
    return z.NEVER;
  }
  if (ms > 0) return ms;
  ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be longer than 0' });
  return z.NEVER;
});

const BatchSchema = z
  .object({
    count: z.number({ invalid_type_error: COUNT_RULE }).int(COUNT_RULE).min(1, COUNT_RULE).max(10_000, COUNT_RULE).optional(),
    interval: Interval.optional(),
  })
  .strict()
  .refine((b) => b.count !== undefined || b.interval !== undefined, 'set count, interval or both')
  .transform((b): BatchConfig => ({ count: b.count, intervalMs: b.interval }));

function pipelineSchema(base: string) {
  const Topic = z.string().superRefine((topic, ctx) => {
    const problem = topicProblem(topic, base);
    if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
  });
  return z
    .object({
      name: z.string().regex(PIPELINE_NAME, 'letters, digits, _ and - only, starting with a letter or digit (it names routes <pipeline>.<sink>)'),
      topics: z.array(Topic).min(1, 'name at least one topic, or leave topics out').default([new Topics(base).allEvents()]),
      filters: z.array(FilterSchema).default([]),
      transform: z.enum(TRANSFORMS).default('edgex'),
      batch: BatchSchema.optional(),
      gzip: z.boolean().default(false),
      sinks: z.array(z.string()).min(1, 'name at least one sink'),
    })
    .strict();
}

/**
 * Event topics only (the pipeline reads every message as an EdgeX Event):
 * `<base>/events/#`, or under `<base>/events/device/` (what device services
 * publish) or `<base>/events/core/` (what core-data took over REST).
 */
function topicProblem(topic: string, base: string): string | undefined {
  if (topic === `${base}/events/#`) return undefined;
  const prefix = [`${base}/events/device/`, `${base}/events/core/`].find((p) => topic.startsWith(p) && topic !== p);
  if (!prefix) return `must be an event topic: ${base}/events/#, or under ${base}/events/device/ or ${base}/events/core/, e.g. ${base}/events/device/#`;
  const levels = topic.slice(prefix.length).split('/');
  for (const [i, level] of levels.entries()) {
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) return '# may only stand alone as the last level';
    if (level.includes('+') && level !== '+') return '+ must stand alone as a level';
  }
  const named = levels[levels.length - 1] === '#' ? levels.length - 1 : levels.length;
  if (named > 4) return `has more levels than a device event topic (${prefix}{service}/{profile}/{device}/{source})`;
  return undefined;
}

function readPipelines(
  raw: unknown[],
  rawSinks: unknown[],
  sinks: Array<SinkConfig | undefined>,
  base: string,
  problems: Problem[],
): PipelineConfig[] {
  const schema = pipelineSchema(base);
  // Names of sinks written in the file, valid or not: a sink with its own problems is not also "missing".
  const declared = rawSinks.map((s) => (s !== null && typeof s === 'object' ? (s as { name?: unknown }).name : undefined));
  const known = declared.filter((n): n is string => typeof n === 'string');
  const valid = new Map(sinks.filter((s): s is SinkConfig => s !== undefined).map((s) => [s.name, s]));
  const seen = new Map<string, number>();
  const out: PipelineConfig[] = [];
  raw.forEach((item, i) => {
    const at: PathSegment[] = ['pipelines', i];
    const parsed = schema.safeParse(item);
    if (!parsed.success) {
      problems.push(...within(at, parsed.error));
      return;
    }
    const pipeline: PipelineConfig = parsed.data;
    const first = seen.get(pipeline.name);
    if (first !== undefined) problems.push({ path: [...at, 'name'], message: `"${pipeline.name}" is already the name of pipelines[${first}]` });
    else seen.set(pipeline.name, i);
    pipeline.sinks.forEach((name, j) => {
      const path = [...at, 'sinks', j];
      if (pipeline.sinks.indexOf(name) !== j) problems.push({ path, message: `"${name}" is listed twice` });
      else if (!known.includes(name)) problems.push({ path, message: `no sink named "${name}" (sinks: ${known.join(', ') || 'none'})` });
      const sink = valid.get(name);
      const rules = sink && SINK_RULES[sink.type];
      if (rules && !rules.transforms.includes(pipeline.transform)) {
        const why = rules.why ? ` (${rules.why})` : '';
        problems.push({ path, message: `sink "${name}" (${sink.type}) takes only the ${rules.transforms.join(', ')} transform${why}, not ${pipeline.transform}` });
      }
    });
    out.push(pipeline);
  });
  return out;
}
