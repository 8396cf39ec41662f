/**
 * The sink section of the app service's pipelines file (YAML), one zod schema
 * per sink type. Values written `${env:NAME}` or `${file:/path}` are secrets,
 * resolved when the file is loaded (pipeline/pipelines-file.ts) and never
 * logged; the schemas here see the resolved strings.
 */
import { z } from 'zod';

const durationText = z.union([z.string(), z.number()]);

/** TLS for HTTPS and MQTTS: PEM file paths (read at boot), or inline PEM. */
export const TlsSchema = z
  .object({
    ca: z.string().optional(),
    cert: z.string().optional(),
    key: z.string().optional(),
    /** Default true; false only for a test endpoint, and it is logged as a warning. */
    rejectUnauthorized: z.boolean().default(true),
    servername: z.string().optional(),
  })
  .strict();
export type TlsConfig = z.output<typeof TlsSchema>;

/** Bounds and retries of a sink's outbox (all optional; defaults in outbox/outbox-options.ts). */
export const OutboxSchema = z
  .object({
    /** Most records kept (default 1,000,000). */
    maxRecords: z.number().int().positive().optional(),
    /** Most bytes of record bodies kept, e.g. `512mb` (default 1gb). */
    maxBytes: z.union([z.string(), z.number()]).optional(),
    /** Records older than this are dropped, e.g. `7d` (default 7d). */
    maxAge: durationText.optional(),
    /** When full: `drop-oldest` (default: keep the newest data) or `drop-newest` (keep the backlog, refuse new records). Both count and log. */
    whenFull: z.enum(['drop-oldest', 'drop-newest']).optional(),
    /** First retry delay (default 1s), doubling with ±20% jitter up to retryMax (default 5m). */
    retryMin: durationText.optional(),
    retryMax: durationText.optional(),
  })
  .strict();
export type OutboxConfig = z.output<typeof OutboxSchema>;

const base = {
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, _ . - (starting with a letter or digit)'),
  outbox: OutboxSchema.optional(),
};

export const HttpSinkSchema = z
  .object({
    ...base,
    type: z.literal('http'),
    url: z.string().url(),
    method: z.enum(['POST', 'PUT']).default('POST'),
    headers: z.record(z.string()).default({}),
    /** Per-request timeout (default 10s). */
    timeout: durationText.optional(),
    tls: TlsSchema.optional(),
  })
  .strict();

export const MqttSinkSchema = z
  .object({
    ...base,
    type: z.literal('mqtt'),
    /** mqtt://, mqtts://, ws://, wss:// */
    url: z.string(),
    clientId: z.string().optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    /** `{device}` (the record key), `{kind}` are replaced, e.g. `plant1/{device}/telemetry`. */
    topic: z.string(),
    qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(1),
    retain: z.boolean().default(false),
    tls: TlsSchema.optional(),
  })
  .strict();

export const AwsShadowSinkSchema = z
  .object({
    ...base,
    type: z.literal('aws-shadow'),
    /** e.g. mqtts://abc123-ats.iot.eu-west-1.amazonaws.com:8883 */
    url: z.string(),
    clientId: z.string(),
    /** X.509: the thing's certificate, key and the Amazon root CA (paths or PEM). */
    tls: TlsSchema,
    /** Thing name of a gateway device: `{device}` is replaced (default `{device}`). */
    thingName: z.string().default('{device}'),
    /** Named shadow; unset = the classic shadow. */
    shadowName: z.string().optional(),
    /** Gateway devices this sink handles: regular expression on the name (default all). */
    devices: z.string().optional(),
  })
  .strict();

export const AzureTwinSinkSchema = z
  .object({
    ...base,
    type: z.literal('azure-twin'),
    /**
     * `HostName=...;DeviceId=...;SharedAccessKey=...` (one twin for the gateway; each gateway
     * device is a property of it) or `HostName=...;SharedAccessKeyName=...;SharedAccessKey=...`
     * (a hub policy with DeviceConnect: one twin per gateway device, id from `deviceId`).
     */
    connectionString: z.string(),
    /** Twin id of a gateway device with a hub-level connection string (default `{device}`). */
    deviceId: z.string().default('{device}'),
    /** Override the broker URL (default mqtts://<HostName>:8883); tests point it at a local broker. */
    url: z.string().optional(),
    /** SAS token lifetime (default 1h); the sink reconnects with a fresh token before it expires. */
    tokenTtl: durationText.optional(),
    tls: TlsSchema.optional(),
    devices: z.string().optional(),
    /**
     * IoT Plug and Play: the DTMI of the gateway's model (`dtmi:com:example:Gateway;1`), announced at
     * CONNECT; component telemetry then carries `$.sub`. GET /api/v3/twin/model/<sink> gives the model.
     */
    modelId: z.string().optional(),
    /** With modelId: gateway device → component name, for devices whose name is not a DTDL name (e.g. `Demo-Sensor-01: demoSensor01`). */
    components: z.record(z.string(), z.string()).optional(),
  })
  .strict();

export const KubeEdgeTwinSinkSchema = z
  .object({
    ...base,
    type: z.literal('kubeedge-twin'),
    /** The MQTT broker edgecore's eventbus uses on this node (default mqtt://127.0.0.1:1883). */
    url: z.string().default('mqtt://127.0.0.1:1883'),
    /** Default `gw-<sink name>-<host name>`. */
    clientId: z.string().optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    tls: TlsSchema.optional(),
    /** Namespace of the KubeEdge Device objects (device id `{namespace}/{name}`, KubeEdge 1.16 on). */
    namespace: z.string().default('default'),
    /**
     * Gateway device → KubeEdge Device name, for devices whose name is not the default (the gateway
     * name lowercased, characters other than a-z 0-9 . - made '-', e.g. `Demo-Sensor-01` → `demo-sensor-01`).
     */
    names: z.record(z.string(), z.string()).optional(),
    /** Gateway devices this sink handles: regular expression on the name (default all). */
    devices: z.string().optional(),
  })
  .strict();

export const SinkSchema = z.discriminatedUnion('type', [HttpSinkSchema, MqttSinkSchema, AwsShadowSinkSchema, AzureTwinSinkSchema, KubeEdgeTwinSinkSchema]);
export type SinkConfig = z.output<typeof SinkSchema>;
export type HttpSinkConfig = z.output<typeof HttpSinkSchema>;
export type MqttSinkConfig = z.output<typeof MqttSinkSchema>;
export type AwsShadowSinkConfig = z.output<typeof AwsShadowSinkSchema>;
export type AzureTwinSinkConfig = z.output<typeof AzureTwinSinkSchema>;
export type KubeEdgeTwinSinkConfig = z.output<typeof KubeEdgeTwinSinkSchema>;
