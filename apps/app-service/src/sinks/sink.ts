/**
 * The seam between the app service's durable outbox and a destination (HTTP,
 * MQTT, AWS IoT shadow, Azure IoT Hub twin). A sink only knows how to deliver
 * records it is handed, in order, and, for twins, how to pass desired state
 * from the cloud down. Retries, ordering, bounds and persistence belong to the
 * outbox (../outbox), never to a sink.
 */
import type { ConnectionErrorKind } from './connection-error';

/** What a pipeline produces for a sink: one export unit, already serialized. */
export interface ExportRecord {
  /**
   * What the record is about, for routing: the gateway device name for
   * per-device records (twin state, telemetry of one device), '' for a batch
   * that mixes devices. Sinks map it to a thing, twin or topic.
   */
  key: string;
  /** `telemetry` (events/readings) or `reported` (twin state: the latest value per resource). */
  kind: 'telemetry' | 'reported';
  /** One JSON document (a transformed event, or a device's reported state). */
  body: Buffer;
}

/** How a route (one pipeline feeding one sink) wants its records delivered. */
export interface DeliveryOptions {
  /**
   * The pipeline batches: combine the records of one deliver() call into one
   * message where the sink can (HTTP and MQTT: a JSON array; twins merge the
   * reported states per device, latest value per resource). Unbatched: one
   * message per record (twins still merge).
   */
  batched: boolean;
  /** gzip the message body (HTTP: Content-Encoding: gzip; MQTT: the payload). */
  gzip: boolean;
}

/** A record as the outbox hands it to a sink: stored, numbered in order. */
export interface OutboxRecord extends ExportRecord {
  /** Position in the sink's outbox, strictly increasing. */
  id: number;
  /** ms since the epoch when the record entered the outbox. */
  createdAt: number;
  /** Delivery attempts that failed so far. */
  attempts: number;
}

/**
 * How a delivery failed: `retry` keeps the records (backoff), `reject` drops
 * the first record not delivered (counted, logged) and goes on with the rest.
 * `delivered` says how many leading records of the call the destination did
 * accept before the failure: the outbox removes them and never resends them.
 */
export class DeliveryError extends Error {
  readonly delivered: number;

  constructor(
    message: string,
    readonly disposition: 'retry' | 'reject',
    options?: { cause?: unknown; delivered?: number },
  ) {
    super(message, options);
    this.name = 'DeliveryError';
    this.delivered = options?.delivered ?? 0;
  }
}

/** A desired change from the cloud for one gateway device. */
export interface DesiredChange {
  /** Gateway device name (the sink mapped the thing/twin id back). */
  deviceName: string;
  /** Resource (or deviceCommand) name → desired value, as the cloud sent it (JSON). */
  values: Record<string, unknown>;
  /** Where it came from, for logs and for the sink's reply. */
  origin: 'aws-delta' | 'azure-desired' | 'azure-method' | 'kubeedge-delta';
  /** The twin/shadow version of the change, when the cloud gives one. */
  version?: number;
  /**
   * Reconcile against the device rather than write blindly: read each value
   * first (where the resource can be read) and write only where the device
   * differs. Set for desired state caught up on (re)connect, whose reported
   * side may be stale.
   */
  reconcile?: boolean;
}

/**
 * The newest desired version a twin sink has fully applied per twin (every
 * value written, found already on the device, or refused for good), kept in
 * the outbox database so a restart neither applies a version again nor
 * forgets one it never applied.
 */
export interface AckedVersions {
  get(twin: string): number | undefined;
  set(twin: string, version: number): void;
}

/** AckedVersions for one process's life (a sink started without the outbox database, e.g. in tests). */
export class MemoryAckedVersions implements AckedVersions {
  private readonly versions = new Map<string, number>();
  get(twin: string): number | undefined {
    return this.versions.get(twin);
  }
  set(twin: string, version: number): void {
    this.versions.set(twin, version);
  }
}

/** The outcome of one desired value, reported back to the cloud. */
export type DesiredOutcome =
  | { resource: string; ok: true; /** The value the device reports after the write. */ value: unknown }
  | { resource: string; ok: false; /** HTTP-like status (400 bad value, 404 unknown, 405 read-only, 423 locked, 503/504 device). */ status: number; message: string };

/** Applies desired changes to actuators (through core-command); never throws. */
export type DesiredHandler = (change: DesiredChange) => Promise<DesiredOutcome[]>;

/** Azure direct method call for a gateway device. */
export interface MethodCall {
  deviceName: string;
  method: string;
  payload: unknown;
}
export interface MethodResult {
  status: number;
  payload: unknown;
}
export type MethodHandler = (call: MethodCall) => Promise<MethodResult>;

export interface SinkLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface SinkContext {
  logger: SinkLogger;
  /** Set for twin sinks: desired state from the cloud goes here. */
  onDesired?: DesiredHandler;
  /** Set for sinks with direct methods (Azure). */
  onMethod?: MethodHandler;
  /** Desired versions applied, per twin of this sink (default: in memory). */
  versions?: AckedVersions;
  /** The gateway's device names (core-metadata): a sink that names devices otherwise in the cloud maps names back with them. */
  deviceNames?: () => Promise<string[]>;
  /** The gateway's devices' operating states, now and as they change (sinks that report device state: KubeEdge). */
  deviceStates?: DeviceStateSource;
}

/** A gateway device's operating state as core-metadata holds it; `removed` once the device is deleted. */
export interface DeviceOperatingState {
  deviceName: string;
  operatingState: 'UP' | 'DOWN' | 'UNKNOWN';
  removed?: boolean;
}

/** The gateway's devices and their operating states. */
export interface DeviceStateSource {
  current(): Promise<DeviceOperatingState[]>;
  /** Calls `listener` on every change from now on; resolves with the function that stops it. */
  watch(listener: (state: DeviceOperatingState) => void): Promise<() => Promise<void>>;
}

/** How a sink's connection to its destination is doing (MQTT-based sinks; HTTP sinks have none). */
export interface ConnectionStatus {
  connected: boolean;
  /** The last failed attempt: a readable reason (`not authorized (CONNACK 5)`, `certificate rejected by ...`) and when (ms since the epoch). Kept after a later success. */
  lastError?: { kind: ConnectionErrorKind; message: string; at: number };
  /** When a connection last came up (ms since the epoch). */
  lastConnectedAt?: number;
}

export interface Sink {
  readonly name: string;
  /** Connects (or prepares). Must not throw when the destination is down: report it via `connected` and keep retrying. */
  start(context: SinkContext): Promise<void>;
  /**
   * Delivers records in the given order; resolves only when the destination
   * has accepted all of them (HTTP 2xx, MQTT PUBACK, shadow `accepted`).
   * Rejects with DeliveryError: `retry` for outages and throttling, `reject`
   * for a record the destination will never accept (HTTP 400/413, shadow
   * 400/413); either way with `delivered` = the leading records already
   * accepted, so a sink that sends one message per record stops at the first
   * failure and says how far it got. The outbox drops only the record right
   * after the delivered ones on `reject` and retries the rest as before: a
   * sink whose batched message is refused as a whole should isolate the bad
   * record itself (the HTTP sink re-sends the batch in halves).
   */
  deliver(records: OutboxRecord[], options: DeliveryOptions): Promise<void>;
  /** True while the destination is reachable as far as the sink knows. */
  readonly connected: boolean;
  /** The connection's state and its last failure, for operators (sinks that hold a connection). */
  connectionStatus?(): ConnectionStatus;
  /** Most records `deliver` takes at once (the outbox pages by this). */
  readonly maxBatch: number;
  /** Messages from the destination the sink could not read (KubeEdge: malformed deltas and results), each logged with the field. */
  readonly rejectedMessages?: number;
  stop(): Promise<void>;
}
