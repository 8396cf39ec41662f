/**
 * EdgeX v3 data model as zod schemas; the TypeScript types are inferred from
 * them so the schema is the single source of truth. Field names and enums
 * follow ../shared/reference/edgex/openapi/core-metadata.yaml. The schemas are
 * strict, but parse.ts first reads keys as EdgeX does (edgex-keys.ts: JSON
 * keys case-insensitively, unknown keys dropped and reported, so a typo such
 * as `valuType` is warned about, not refused); the free-form maps
 * (attributes, protocols, properties, tags) keep their keys as given.
 */
import { z } from 'zod';
import { isDuration, parseDuration } from './duration';

export const API_VERSION = 'v3';

export const VALUE_TYPES = [
  'Bool', 'String', 'Uint8', 'Uint16', 'Uint32', 'Uint64', 'Int8', 'Int16', 'Int32', 'Int64',
  'Float32', 'Float64', 'Binary', 'Object',
  'BoolArray', 'StringArray', 'Uint8Array', 'Uint16Array', 'Uint32Array', 'Uint64Array',
  'Int8Array', 'Int16Array', 'Int32Array', 'Int64Array', 'Float32Array', 'Float64Array', 'ObjectArray',
] as const;
export const ValueType = z.enum(VALUE_TYPES);
export type ValueType = z.infer<typeof ValueType>;

export const ReadWrite = z.enum(['R', 'W', 'RW', 'WR']);
export type ReadWrite = z.infer<typeof ReadWrite>;
export const AdminState = z.enum(['LOCKED', 'UNLOCKED']);
export type AdminState = z.infer<typeof AdminState>;
export const OperatingState = z.enum(['UP', 'DOWN', 'UNKNOWN']);
export type OperatingState = z.infer<typeof OperatingState>;

/**
 * The longest name, in characters (code points): names are stored in
 * varchar(255) columns (metadata's and core-data's tables, PostgreSQL counts
 * characters), so a longer name would be accepted here and refused by the
 * database as a 500.
 */
export const NAME_MAX_LENGTH = 255;

/**
 * A valid name in one precompiled test (the hot path of event ingest uses it):
 * 1 to 255 code points (NAME_MAX_LENGTH), none of them
 * - whitespace or / # + ? & %: names sit unescaped in bus topics (MQTT's
 *   wildcards + and #, its level separator /) and in URL paths. EdgeX allows
 *   spaces; we keep refusing them for that reason;
 * - control characters (C0 incl. NUL, DEL, C1);
 * - bidirectional marks, embeddings, overrides or isolates (U+200E, U+200F,
 *   U+202A–U+202E, U+2066–U+2069), which make a name display as another;
 * - unpaired surrogates (with the `u` flag a lone surrogate is its own code
 *   point, \p{Cs}; a pair is one astral character).
 */
const VALID_NAME = /^[^\s/#+?&%\p{Cc}\p{Cs}\u200E\u200F\u202A-\u202E\u2066-\u2069]{1,255}$/u;
const BIDI = /^[\u200E\u200F\u202A-\u202E\u2066-\u2069]$/u;

export function isValidName(value: string): boolean {
  return VALID_NAME.test(value);
}

/** Why a string is not a valid name (undefined when it is), naming the first bad character and its 1-based position. */
export function nameProblem(value: string): string | undefined {
  if (VALID_NAME.test(value)) return undefined;
  if (value.length === 0) return 'must not be empty';
  if (value.length > NAME_MAX_LENGTH) {
    // Counted only up to a bound: a 1,000,000-character name costs no full scan.
    let count = 0;
    for (const _ of value) if (++count > NAME_MAX_LENGTH) return `at most ${NAME_MAX_LENGTH} characters`;
  }
  let position = 0;
  for (const char of value) {
    position++;
    const code = `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    if (/\p{Cc}/u.test(char)) return `contains a control character (${code}) at position ${position}`;
    if (BIDI.test(char)) return `contains a bidirectional control character (${code}) at position ${position}`;
    if (/\p{Cs}/u.test(char)) return `contains an unpaired surrogate (${code}) at position ${position}`;
    if (/[\s/#+?&%]/u.test(char)) return 'must not contain spaces or any of / # + ? & % (names go into bus topics and URL paths)';
  }
  return `at most ${NAME_MAX_LENGTH} characters`;
}

/** EdgeX names, bounded and printable; see VALID_NAME for what is refused and why. */
export const Name = z.string().superRefine((value, ctx) => {
  const problem = nameProblem(value);
  if (problem !== undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
});

/** YAML lets numbers and booleans stand where EdgeX keeps strings (`defaultValue: 0`). */
const Stringish = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v));
/**
 * EdgeX accepts numbers written as strings in properties (`scale: "0.1"`).
 * Finite only: JSON.parse reads `1e999` as Infinity, which would be stored and
 * answered back as null (found by test/openapi/contract.test.ts).
 */
const FINITE = 'must be a finite number (within float64)';
const Numberish = z.union([
  z.number().finite(FINITE),
  z
    .string()
    .regex(/^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/, 'must be a number')
    .transform(Number)
    .pipe(z.number().finite(FINITE)),
]);
const FreeMap = z.record(z.string(), z.unknown());
const Labels = z.array(Stringish);
const Timestamps = { id: z.string().optional(), created: z.number().int().optional(), modified: z.number().int().optional() };

export const ResourceProperties = z
  .object({
    valueType: ValueType,
    readWrite: ReadWrite,
    units: Stringish.optional(),
    minimum: Numberish.optional(),
    maximum: Numberish.optional(),
    defaultValue: Stringish.optional(),
    mask: Numberish.pipe(z.number().int().nonnegative()).optional(),
    shift: Numberish.pipe(z.number().int()).optional(),
    scale: Numberish.optional(),
    offset: Numberish.optional(),
    base: Numberish.optional(),
    assertion: Stringish.optional(),
    mediaType: z.string().optional(),
    optional: FreeMap.optional(),
  })
  .strict();
export type ResourceProperties = z.infer<typeof ResourceProperties>;

export const DeviceResource = z
  .object({
    name: Name,
    description: z.string().optional(),
    isHidden: z.boolean().optional().default(false),
    tags: FreeMap.optional(),
    properties: ResourceProperties,
    attributes: FreeMap.optional(),
  })
  .strict();
export type DeviceResource = z.infer<typeof DeviceResource>;

export const ResourceOperation = z
  .object({
    deviceResource: Name,
    defaultValue: Stringish.optional(),
    mappings: z.record(z.string(), Stringish).optional(),
  })
  .strict();
export type ResourceOperation = z.infer<typeof ResourceOperation>;

export const DeviceCommand = z
  .object({
    name: Name,
    isHidden: z.boolean().optional().default(false),
    readWrite: ReadWrite,
    tags: FreeMap.optional(),
    resourceOperations: z.array(ResourceOperation).min(1, 'needs at least one resource operation'),
  })
  .strict();
export type DeviceCommand = z.infer<typeof DeviceCommand>;

export const DeviceProfile = z
  .object({
    ...Timestamps,
    apiVersion: z.string().optional(),
    name: Name,
    description: z.string().optional(),
    manufacturer: z.string().optional(),
    model: z.string().optional(),
    labels: Labels.optional(),
    deviceResources: z.array(DeviceResource).default([]),
    deviceCommands: z.array(DeviceCommand).default([]),
  })
  .strict();
export type DeviceProfile = z.infer<typeof DeviceProfile>;
export type DeviceProfileInput = z.input<typeof DeviceProfile>;

const DURATION_HINT = 'must be a duration such as 500ms, 20s, 1m or 1h30m';
/** `interval: 5` reaches us as a number: it gets the same hint as `20 seconds`. */
export const Duration = z.string({ invalid_type_error: DURATION_HINT }).refine(isDuration, { message: DURATION_HINT });

/** As EdgeX 4 does (v3 did not): an autoEvent interval under 1ms (`0s`) would poll in a busy loop. */
const Interval = Duration.refine((text) => !isDuration(text) || parseDuration(text) >= 1, {
  message: 'must be at least 1ms',
});

export const AutoEvent = z
  .object({
    interval: Interval,
    onChange: z.boolean().optional().default(false),
    onChangeThreshold: Numberish.optional(),
    sourceName: Name,
    retention: FreeMap.optional(),
  })
  .strict();
export type AutoEvent = z.infer<typeof AutoEvent>;

/** protocols: { "modbus-tcp": { Address: ..., Port: ... } }; values kept as given. */
export const Protocols = z.record(z.string(), z.record(z.string(), z.unknown()));
export type Protocols = z.infer<typeof Protocols>;

export const Device = z
  .object({
    ...Timestamps,
    apiVersion: z.string().optional(),
    name: Name,
    description: z.string().optional(),
    adminState: AdminState.optional().default('UNLOCKED'),
    operatingState: OperatingState.optional().default('UP'),
    labels: Labels.optional(),
    location: z.unknown().optional(),
    serviceName: Name.optional(),
    profileName: Name.optional(),
    autoEvents: z.array(AutoEvent).optional(),
    protocols: Protocols.default({}),
    parent: z.string().optional(),
    tags: FreeMap.optional(),
    properties: FreeMap.optional(),
  })
  .strict();
export type Device = z.infer<typeof Device>;

export const DeviceService = z
  .object({
    ...Timestamps,
    apiVersion: z.string().optional(),
    name: Name,
    description: z.string().optional(),
    labels: Labels.optional(),
    baseAddress: z.string().min(1, 'must not be empty'),
    adminState: AdminState.optional().default('UNLOCKED'),
    properties: FreeMap.optional(),
  })
  .strict();
export type DeviceService = z.infer<typeof DeviceService>;

export const DiscoveredDevice = z
  .object({
    profileName: Name.optional(),
    adminState: AdminState.optional().default('UNLOCKED'),
    autoEvents: z.array(AutoEvent).optional(),
    properties: FreeMap.optional(),
  })
  .strict();
export type DiscoveredDevice = z.infer<typeof DiscoveredDevice>;

export const ProvisionWatcher = z
  .object({
    ...Timestamps,
    apiVersion: z.string().optional(),
    name: Name,
    serviceName: Name.optional(),
    labels: Labels.optional(),
    identifiers: z.record(z.string(), Stringish),
    blockingIdentifiers: z.record(z.string(), z.array(Stringish)).optional(),
    adminState: AdminState.optional().default('UNLOCKED'),
    discoveredDevice: DiscoveredDevice,
  })
  .strict();
export type ProvisionWatcher = z.infer<typeof ProvisionWatcher>;

// ---- Events and readings (core-data) ----

const ReadingBase = {
  id: z.string().optional(),
  origin: z.number().int(),
  deviceName: Name,
  resourceName: Name,
  profileName: Name,
  valueType: ValueType,
  units: z.string().optional(),
  tags: FreeMap.optional(),
};
export const SimpleReading = z.object({ ...ReadingBase, value: z.string() }).strict();
export const BinaryReading = z
  .object({ ...ReadingBase, binaryValue: z.string(), mediaType: z.string() })
  .strict();
export const ObjectReading = z.object({ ...ReadingBase, objectValue: z.unknown() }).strict();
export const Reading = z.union([SimpleReading, BinaryReading, ObjectReading]);
export type Reading = z.infer<typeof Reading>;

export const Event = z
  .object({
    apiVersion: z.string().optional(),
    id: z.string(),
    deviceName: Name,
    profileName: Name,
    sourceName: Name,
    origin: z.number().int(),
    readings: z.array(Reading).min(1, 'an event carries at least one reading'),
    tags: FreeMap.optional(),
  })
  .strict();
export type Event = z.infer<typeof Event>;
