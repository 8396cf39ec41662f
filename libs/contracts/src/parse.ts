/**
 * The way in for every model: `parse*` for YAML/JSON text (files, uploads),
 * `validate*` for REST bodies already parsed. Both check the schema, then the
 * cross-field rules, and throw one ValidationError listing every issue found,
 * each naming its field (and, for text, its line).
 */
import { z } from 'zod';
import { duplicateNames } from './duplicates';
import { KeyReading, readAsEdgeX } from './edgex-keys';
import { ValidationError } from './errors';
import { eventProblems } from './event-checks';
import { Device, DeviceProfile, DeviceService, Event, ProvisionWatcher } from './models';
import { PathSegment, Placement, Problem, toFieldIssues, zodProblems } from './problems';
import { profileProblems } from './profile-checks';
import { readYaml } from './yaml-text';

export interface ParseOptions {
  /** File name used in messages. */
  source?: string;
  /** Told the keys ignored because no field has them (EdgeX ignores them too): a likely typo worth a warning. */
  onIgnored?: (paths: string[]) => void;
  /** Runs on the parsed value before it is validated (which costs more), e.g. to refuse one too large; may throw. */
  beforeValidation?: (value: unknown) => void;
}

export interface ValidateOptions {
  /** File or request named in messages. */
  source?: string;
  /** Where the value sits in the request body, e.g. `profile` or `[3].device`. */
  path?: string;
  /** Told the keys ignored because no field has them (EdgeX ignores them too), with their paths. */
  onIgnored?: (paths: string[]) => void;
}

type Schema<T> = z.ZodType<T, z.ZodTypeDef, unknown>;
/** JSON (REST bodies, bus payloads) as EdgeX's encoding/json reads it; YAML files as its yaml.v3 does (exact keys). */
const JSON_KEYS: KeyReading = { caseInsensitive: true };
const YAML: KeyReading = { caseInsensitive: false };
type Check<T> = (value: T) => Problem[];
const noChecks = (): Problem[] => [];

export function parseDeviceProfile(text: string, opts: ParseOptions = {}): DeviceProfile {
  const { value, locate } = readYaml(text, opts.source);
  opts.beforeValidation?.(value);
  return conform(DeviceProfile, profileProblems, value, opts.source, { locate, onIgnored: opts.onIgnored }, YAML);
}

/** A device definition file: `deviceList: [...]`, or for convenience a bare list of devices. */
export function parseDeviceList(text: string, opts: ParseOptions = {}): Device[] {
  const { value, locate } = readYaml(text, opts.source);
  opts.beforeValidation?.(value);
  const bare = Array.isArray(value);
  const at: PathSegment[] = bare ? [] : ['deviceList'];
  const schema: Schema<Device[]> = bare
    ? z.array(Device)
    : z.object({ deviceList: z.array(Device) }).strict().transform((file) => file.deviceList);
  return conform(schema, (devices) => duplicateNames(devices, at, 'device'), value, opts.source, { locate, onIgnored: opts.onIgnored }, YAML);
}

export function parseProvisionWatcher(text: string, opts: ParseOptions = {}): ProvisionWatcher {
  const { value, locate } = readYaml(text, opts.source);
  opts.beforeValidation?.(value);
  return conform(ProvisionWatcher, noChecks, value, opts.source, { locate, onIgnored: opts.onIgnored }, YAML);
}

export function validateDeviceProfile(value: unknown, opts: ValidateOptions = {}): DeviceProfile {
  return conform(DeviceProfile, profileProblems, value, opts.source, opts, JSON_KEYS);
}

export function validateDevice(value: unknown, opts: ValidateOptions = {}): Device {
  return conform(Device, noChecks, value, opts.source, opts, JSON_KEYS);
}

export function validateDeviceService(value: unknown, opts: ValidateOptions = {}): DeviceService {
  return conform(DeviceService, noChecks, value, opts.source, opts, JSON_KEYS);
}

export function validateProvisionWatcher(value: unknown, opts: ValidateOptions = {}): ProvisionWatcher {
  return conform(ProvisionWatcher, noChecks, value, opts.source, opts, JSON_KEYS);
}

export function validateEvent(value: unknown, opts: ValidateOptions = {}): Event {
  return conform(Event, eventProblems, value, opts.source, opts, JSON_KEYS);
}

/**
 * Schema first; the cross-field checks need a well-typed value, so they run
 * once the shape is right (an operator fixing a file sees them next).
 */
function conform<T>(
  schema: Schema<T>,
  check: Check<T>,
  input: unknown,
  source: string | undefined,
  where: Placement & { onIgnored?: (paths: string[]) => void },
  keys: KeyReading,
): T {
  const invalid = (problems: Problem[]) => new ValidationError(toFieldIssues(problems, where), source);
  const read = readAsEdgeX(schema as z.ZodTypeAny, input, keys, where.path ?? '');
  if (read.ignored.length) where.onIgnored?.(read.ignored);
  const parsed = schema.safeParse(read.value);
  if (!parsed.success) throw invalid(zodProblems(parsed.error));
  const problems = check(parsed.data);
  if (problems.length > 0) throw invalid(problems);
  return parsed.data;
}
