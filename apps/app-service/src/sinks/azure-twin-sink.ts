/**
 * Azure IoT Hub device twin over MQTT 3.1.1, as a device speaks it (mqtt.js:
 * the official device SDK is not a dependency, and the protocol is a handful
 * of topics).
 *
 * Two ways to map gateway devices to twins, chosen by the connection string:
 * - a device connection string: one connection and one twin for the whole
 *   gateway; each gateway device is an IoT Plug and Play component of it
 *   (`reported: { <device>: { __t: 'c', <resource>: value } }`), its direct
 *   methods are named `<device>*<command>` (the PnP component command form);
 * - a hub policy with DeviceConnect: one connection and twin per gateway
 *   device (id from the `deviceId` template), opened on the device's first
 *   record and kept open, since desired patches and methods only reach a
 *   connected device; beyond `maxConnections` the least recently used closes.
 *
 * Writable properties follow the PnP convention: once a property has a
 * desired value, the gateway reports it as `{ value, ac, av, ad }` (status,
 * acked desired `$version`, description), readings included, so `av` survives
 * and a reconnect can tell which desired values it has not applied yet.
 * On every connect the desired `$version` not applied yet (`versions`, kept
 * in the outbox database) is caught up: each value not acked at it is
 * reconciled against the device (read, written where it differs) and acked.
 * Only the very version kept counts as applied: a twin at a lower one (a
 * device deleted and registered again starts at 1) is caught up in full.
 *
 * Property names may not contain `.`, `$` or spaces in a twin, so device and
 * resource names are %-escaped there (`%2E`, `%24`, `%20`, `%25`) and
 * unescaped on the way back.
 *
 * IoT Plug and Play, with a `modelId`: the CONNECT user name announces it
 * (`&model-id=`), components are named as DTDL requires (the one
 * `components` gives a device, else its name, cleaned where it is no DTDL
 * name; azure-components.ts), component telemetry carries `$.sub=<component>` (a batch holds one
 * component's records), and GET /api/v3/twin/model/<sink> gives the DTDL
 * model (twin/dtdl.ts). Without a modelId the twin still uses components and
 * acks, and telemetry names its device in a `device` property.
 *
 * The MQTT password is the SAS token: a `url` override without TLS (mqtt://,
 * ws://) sends it in clear text, which start() logs as a warning.
 */
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { IClientOptions, MqttClient } from 'mqtt';
import { createSasToken, deviceResourceUri, HubCredentials, mqttUserName } from './azure-sas';
import { ComponentNames, fromTwinKey, twinKey } from './azure-components';
import { azureTwinSettings } from './azure-twin-settings';

export { fromTwinKey, twinKey } from './azure-components';
import { asDeliveryError, firstShortfall, isJsonObject, parseJsonObject as parseObject, sendMerged, Shortfall } from './twin-delivery';
import { MqttConnection, warnAboutTransport } from './mqtt-connection';
import { AckedVersions, ConnectionStatus, DeliveryError, DeliveryOptions, DesiredOutcome, MemoryAckedVersions, MethodResult, OutboxRecord, Sink, SinkContext } from './sink';
import type { AzureTwinSinkConfig } from './sink-config';
import type { TlsOptions } from './tls';

export interface AzureTwinSinkOptions {
  /** Clock for token expiry (ms since the epoch). */
  now?: () => number;
  /** mqtt.connect, or a wrapper (tests record what the sink presents to the hub). */
  connect?: (url: string, options: IClientOptions) => MqttClient;
  /** How long a twin request may wait for its `$rid` reply, and a publish for its PUBACK (default 20s). */
  requestTimeoutMs?: number;
  /** How long deliver() waits for a connection that is not up yet (default 10s). */
  connectWaitMs?: number;
  reconnectPeriodMs?: number;
  /** Hub policy mode: most device connections kept open (default 100). */
  maxConnections?: number;
}

type Json = Record<string, unknown>;
interface Ack {
  value?: unknown;
  ac: number;
  av: number;
  ad?: string;
}
interface TwinReply {
  status: number;
  body: Buffer;
}
/** A record of a page on its way to a twin: its position in the page, and its state when it is reported state. */
interface Planned {
  index: number;
  record: OutboxRecord;
  conn: TwinConnection;
  state?: Json;
}

/** IoT Hub refuses device-to-cloud messages over 256 KB. */
const MAX_MESSAGE_BYTES = 256 * 1024;
/** More than gzip can add to incompressible input of that size: a batch within MAX_MESSAGE_BYTES minus this stays within it gzipped. */
const GZIP_MARGIN_BYTES = 1024;
const REPORTED = '$iothub/twin/PATCH/properties/reported/';
const GET = '$iothub/twin/GET/';
const SUBSCRIPTIONS: Record<string, 0> = { '$iothub/twin/res/#': 0, '$iothub/twin/PATCH/properties/desired/#': 0, '$iothub/methods/POST/#': 0 };

class TwinConnection {
  connection?: MqttConnection;
  /** Up and usable: false while a token renewal lets work in flight finish. */
  ready = false;
  closed = false;
  tokenIssuedAt = 0;
  renewTimer?: NodeJS.Timeout;
  syncTimer?: NodeJS.Timeout;
  lastUsed = 0;
  readonly waiters = new Set<() => void>();
  readonly pending = new Map<string, { resolve: (reply: TwinReply) => void; reject: (err: Error) => void }>();
  /** Requests and publishes awaiting their answer: a token renewal lets them finish first. */
  readonly inflight = new Set<Promise<unknown>>();
  /** Writable properties: gateway device → resource → the last ack reported. */
  readonly acks = new Map<string, Map<string, Ack>>();
  /** Desired changes are applied one patch at a time, in the order the hub sent them. */
  work: Promise<void> = Promise.resolve();

  constructor(
    /** The IoT Hub device id (and MQTT client id). */
    readonly twinId: string,
    /** Hub policy mode: the one gateway device behind this twin. */
    readonly device?: string,
  ) {}

  ackOf(device: string, resource: string): Ack | undefined {
    return this.acks.get(device)?.get(resource);
  }

  setAck(device: string, resource: string, ack: Ack): void {
    let forDevice = this.acks.get(device);
    if (!forDevice) this.acks.set(device, (forDevice = new Map()));
    forDevice.set(resource, ack);
  }
}

export class AzureTwinSink implements Sink {
  readonly name: string;
  readonly maxBatch = 500;
  private readonly credentials: HubCredentials;
  private readonly url: string;
  private readonly tls: TlsOptions;
  private readonly ttlMs: number;
  private readonly devices?: RegExp;
  private readonly modelId?: string;
  private readonly components: ComponentNames;
  private readonly now: () => number;
  private readonly connectFn?: (url: string, options: IClientOptions) => MqttClient;
  private readonly requestTimeoutMs: number;
  private readonly connectWaitMs: number;
  private readonly reconnectPeriodMs: number;
  private readonly maxConnections: number;
  /** Unique per sink instance, so replies meant for another client are never taken for ours. */
  private readonly ridPrefix = randomBytes(3).toString('hex');
  private ridCounter = 0;
  private context?: SinkContext;
  private versions: AckedVersions = new MemoryAckedVersions();
  private single?: TwinConnection;
  private readonly perDevice = new Map<string, TwinConnection>();
  private everConnected = false;
  /** The last failure and connect of connections since closed. */
  private readonly retired: Pick<ConnectionStatus, 'lastError' | 'lastConnectedAt'> = {};
  private readonly plainText: boolean;

  constructor(
    private readonly config: AzureTwinSinkConfig,
    options: AzureTwinSinkOptions = {},
  ) {
    this.name = config.name;
    const settings = azureTwinSettings(config);
    this.credentials = settings.credentials;
    this.url = settings.url;
    this.plainText = settings.plainText;
    this.tls = settings.tls;
    this.ttlMs = settings.ttlMs;
    this.devices = settings.devices;
    this.modelId = settings.modelId;
    this.components = settings.components;
    this.now = options.now ?? Date.now;
    this.connectFn = options.connect;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 20_000;
    this.connectWaitMs = options.connectWaitMs ?? 10_000;
    this.reconnectPeriodMs = options.reconnectPeriodMs ?? 5_000;
    this.maxConnections = options.maxConnections ?? 100;
  }

  get connected(): boolean {
    if (this.single) return this.single.ready;
    if (this.perDevice.size === 0) return this.everConnected;
    return [...this.perDevice.values()].every((c) => c.ready);
  }

  /** All twin connections together: connected when all are; the latest failure and the latest connect of any. */
  connectionStatus(): ConnectionStatus {
    const all = [...(this.single ? [this.single] : []), ...this.perDevice.values()].flatMap((c) => (c.connection ? [c.connection.status()] : []));
    let { lastError, lastConnectedAt } = this.retired;
    for (const s of all) {
      if (s.lastError && (!lastError || s.lastError.at > lastError.at)) lastError = s.lastError;
      if (s.lastConnectedAt && (!lastConnectedAt || s.lastConnectedAt > lastConnectedAt)) lastConnectedAt = s.lastConnectedAt;
    }
    return { connected: this.connected, lastError, lastConnectedAt };
  }

  /** Keeps what a connection closed for good (token renewal, eviction) knew, for connectionStatus. */
  private retire(connection: MqttConnection): void {
    const { lastError, lastConnectedAt } = connection.status();
    if (lastError && (!this.retired.lastError || lastError.at > this.retired.lastError.at)) this.retired.lastError = lastError;
    if (lastConnectedAt && (!this.retired.lastConnectedAt || lastConnectedAt > this.retired.lastConnectedAt)) this.retired.lastConnectedAt = lastConnectedAt;
  }

  async start(context: SinkContext): Promise<void> {
    this.context = context;
    if (context.versions) this.versions = context.versions;
    warnAboutTransport({ name: this.name, url: this.url, tls: this.tls }, context.logger);
    if (this.plainText) {
      const { protocol, host } = new URL(this.url);
      context.logger.warn({ url: `${protocol}//${host}` }, 'azure-twin url without TLS: the SAS token goes over the network in clear text (use only for a local test hub)');
    }
    if (this.credentials.deviceId) {
      this.single = new TwinConnection(this.credentials.deviceId);
      this.open(this.single);
    }
  }

  /**
   * Reported state merges per twin (latest value per resource); telemetry goes
   * as messages. A refused record must cost only itself: on `reject` the
   * outbox drops just the record after the `delivered` ones and sends the
   * rest again (sink.ts). So:
   * - the page is planned up to its first record that can never be delivered
   *   (no device with a hub policy, reported state that is no JSON object of
   *   a device, telemetry over 256 KB), before anything is sent; the call then
   *   fails with `reject` at that record;
   * - reported patches go first; one the hub refuses (400/413) is narrowed
   *   down to the record that makes it refused (sendMerged);
   * - telemetry goes last, only for records before the first failure, so a
   *   refusal never makes the outbox send telemetry twice.
   * Records of devices outside `devices` are not for this sink: delivered by
   * sending nothing.
   */
  async deliver(records: OutboxRecord[], options: DeliveryOptions): Promise<void> {
    if (!this.context) throw new DeliveryError(`sink ${this.name} is not started`, 'retry');
    const started = this.now();
    const planned: Planned[] = [];
    let refused: Shortfall | undefined;
    for (const [index, record] of records.entries()) {
      if (record.key && this.devices && !this.devices.test(record.key)) continue;
      const state = record.kind === 'reported' ? parseObject(record.body) : undefined;
      const problem = this.problemOf(record, state, options);
      if (problem) {
        refused = { index, error: new DeliveryError(`sink ${this.name}: record ${record.id}: ${problem}`, 'reject') };
        break;
      }
      planned.push({ index, record, conn: this.connectionFor(record.key, started)!, state });
    }
    const reported = firstShortfall(
      await Promise.all(
        [...byConnection(planned.filter((p) => p.state))].map(([conn, entries]) => sendMerged(entries, (prefix) => this.sendReported(conn, prefix))),
      ),
    );
    const end = Math.min(refused?.index ?? Infinity, reported?.index ?? Infinity);
    const telemetry = planned.filter((p) => !p.state && p.index < end);
    const sent = firstShortfall(await Promise.all([...byConnection(telemetry)].map(([conn, entries]) => this.sendTelemetry(conn, entries, options))));
    const first = firstShortfall([refused, reported, sent]);
    if (first) throw new DeliveryError(first.error.message, first.error.disposition, { cause: first.error, delivered: first.index });
  }

  /** Why IoT Hub could never take this record, if so. */
  private problemOf(record: OutboxRecord, state: Json | undefined, options: DeliveryOptions): string | undefined {
    if (!this.single && !record.key) return 'with a hub policy each record needs a device (its key is empty)';
    const component = this.single && record.key ? this.components.problem(record.key) : undefined;
    if (component) return component;
    if (record.kind === 'reported') return state && record.key ? undefined : 'reported state must be a JSON object of a device';
    // A record too big to share a batch goes alone (jsonArrays): this is its message.
    const alone = options.batched ? Buffer.concat([Buffer.from('['), record.body, Buffer.from(']')]) : record.body;
    if (alone.length <= batchLimit(options)) return undefined;
    const bytes = options.gzip ? gzipSync(alone).length : alone.length;
    return bytes > MAX_MESSAGE_BYTES ? `its telemetry message would be ${bytes} bytes, more than the 256 KB IoT Hub accepts` : undefined;
  }

  async stop(): Promise<void> {
    const all = [...(this.single ? [this.single] : []), ...this.perDevice.values()];
    this.perDevice.clear();
    await Promise.all(all.map((conn) => this.close(conn, 'sink stopped')));
  }

  // ---- connections -------------------------------------------------------

  private connectionFor(device: string, usedSince: number): TwinConnection | undefined {
    if (this.single) return this.single;
    if (!device) return undefined;
    let conn = this.perDevice.get(device);
    if (!conn) {
      conn = new TwinConnection(this.config.deviceId.replaceAll('{device}', device), device);
      this.perDevice.set(device, conn);
      this.evictBeyondLimit(usedSince);
      this.open(conn);
    }
    conn.lastUsed = this.now();
    return conn;
  }

  private evictBeyondLimit(usedSince: number): void {
    // Connections used by the delivery in progress stay, even above the limit.
    const idle = [...this.perDevice.values()].filter((c) => c.lastUsed < usedSince && c.lastUsed > 0).sort((a, b) => a.lastUsed - b.lastUsed);
    while (this.perDevice.size > this.maxConnections && idle.length) {
      const conn = idle.shift()!;
      this.perDevice.delete(conn.device!);
      void this.close(conn, 'least recently used device connection closed');
    }
  }

  private token(conn: TwinConnection): string {
    conn.tokenIssuedAt = this.now();
    return createSasToken({
      resourceUri: deviceResourceUri(this.credentials.hostName, conn.twinId),
      key: this.credentials.key,
      expiry: Math.floor((conn.tokenIssuedAt + this.ttlMs) / 1000),
      policyName: this.credentials.policyName,
    });
  }

  private open(conn: TwinConnection): void {
    const connection = new MqttConnection({
      name: this.name,
      logFields: { twin: conn.twinId },
      url: this.url,
      clientId: conn.twinId,
      // IoT Plug and Play: the model is announced in the user name (model-id).
      username: mqttUserName(this.credentials.hostName, conn.twinId) + (this.modelId ? `&model-id=${encodeURIComponent(this.modelId)}` : ''),
      // Every attempt gets a fresh token: one minted for the first attempt may have expired since.
      password: () => this.token(conn),
      tls: this.tls,
      // Without them no reply, desired patch or method call would ever arrive: the connection counts as up only once granted.
      subscriptions: SUBSCRIPTIONS,
      keepaliveSec: 60,
      reconnectPeriodMs: this.reconnectPeriodMs,
      connectTimeoutMs: 30_000,
      operationTimeoutMs: this.requestTimeoutMs,
      logger: this.context!.logger,
      connect: this.connectFn,
    });
    conn.connection = connection;
    connection.onMessage((topic, payload) => this.onMessage(conn, topic, payload));
    connection.onUp(() => this.onUp(conn, connection));
    connection.onDown(() => this.onDown(conn, connection));
    void connection.start();
  }

  private onUp(conn: TwinConnection, connection: MqttConnection): void {
    if (connection !== conn.connection) return;
    conn.ready = true;
    this.everConnected = true;
    for (const wake of conn.waiters) wake();
    conn.waiters.clear();
    // Renew well before expiry (a fifth of the lifetime, at most 5 min early).
    clearTimeout(conn.renewTimer);
    const renewAfter = this.ttlMs - Math.min(this.ttlMs / 5, 300_000) - (this.now() - conn.tokenIssuedAt);
    conn.renewTimer = setTimeout(() => void this.renew(conn), Math.max(renewAfter, 0));
    this.scheduleSync(conn, 0);
  }

  private onDown(conn: TwinConnection, connection: MqttConnection): void {
    if (connection !== conn.connection) return;
    conn.ready = false;
    clearTimeout(conn.renewTimer);
    clearTimeout(conn.syncTimer);
    this.failPending(conn, 'connection closed');
  }

  /** A token cannot be swapped on a live connection: reconnect with a fresh one. */
  private async renew(conn: TwinConnection): Promise<void> {
    const old = conn.connection;
    if (conn.closed || !old) return;
    this.context?.logger.info({ twin: conn.twinId }, 'renewing the SAS token: reconnecting');
    // New work waits for the new connection; work under way ends first (each is bounded by requestTimeoutMs).
    conn.ready = false;
    await Promise.allSettled([...conn.inflight]);
    if (conn.connection !== old) return;
    conn.connection = undefined;
    this.failPending(conn, 'reconnecting to renew the SAS token');
    this.retire(old);
    await old.stop();
    if (!conn.closed) this.open(conn);
  }

  private async close(conn: TwinConnection, reason: string): Promise<void> {
    conn.closed = true;
    conn.ready = false;
    clearTimeout(conn.renewTimer);
    clearTimeout(conn.syncTimer);
    this.failPending(conn, reason);
    for (const wake of conn.waiters) wake();
    const connection = conn.connection;
    conn.connection = undefined;
    // The outbox still holds whatever was not acknowledged.
    if (connection) this.retire(connection);
    await connection?.stop();
  }

  private failPending(conn: TwinConnection, reason: string): void {
    for (const { reject } of conn.pending.values()) reject(new DeliveryError(`azure twin ${conn.twinId}: ${reason}`, 'retry'));
    conn.pending.clear();
  }

  private async whenReady(conn: TwinConnection): Promise<MqttConnection> {
    if (!conn.ready && !conn.closed) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, this.connectWaitMs);
        function done() {
          clearTimeout(timer);
          conn.waiters.delete(done);
          resolve();
        }
        conn.waiters.add(done);
      });
    }
    const connection = conn.connection;
    if (!conn.ready || !connection) {
      const why = connection?.lastError;
      throw new DeliveryError(`azure twin ${conn.twinId}: not connected to ${this.credentials.hostName}${why ? ` (${why})` : ''}`, 'retry');
    }
    return connection;
  }

  // ---- requests ----------------------------------------------------------

  /** A twin request: publishes with a fresh `$rid` and resolves with the matching `$iothub/twin/res` reply. */
  private async request(conn: TwinConnection, path: string, body: string): Promise<TwinReply> {
    const connection = await this.whenReady(conn);
    const rid = `${this.ridPrefix}${(++this.ridCounter).toString(36)}`;
    return this.track(conn, new Promise<TwinReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        conn.pending.delete(rid);
        reject(new DeliveryError(`azure twin ${conn.twinId}: no reply within ${this.requestTimeoutMs} ms`, 'retry'));
      }, this.requestTimeoutMs);
      conn.pending.set(rid, {
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
      connection.publish(`${path}?$rid=${rid}`, body, { qos: 0 }).catch((err: Error) => {
        conn.pending.get(rid)?.reject(new DeliveryError(`azure twin ${conn.twinId}: ${err.message}`, 'retry', { cause: err }));
      });
    }));
  }

  private track<T>(conn: TwinConnection, work: Promise<T>): Promise<T> {
    const settled = work.finally(() => conn.inflight.delete(settled)).catch(() => undefined);
    conn.inflight.add(settled);
    return work;
  }

  /** 2xx is done; 400 (malformed) and 413 (too large) will never pass; 429, 5xx and the rest may later. */
  private check(conn: TwinConnection, reply: TwinReply, what: string): void {
    if (reply.status >= 200 && reply.status < 300) return;
    const detail = parseObject(reply.body)?.message;
    const message = `azure twin ${conn.twinId}: ${what} answered ${reply.status}${typeof detail === 'string' ? `: ${detail.slice(0, 200)}` : ''}`;
    throw new DeliveryError(message, reply.status === 400 || reply.status === 413 ? 'reject' : 'retry');
  }

  private onMessage(conn: TwinConnection, topic: string, payload: Buffer): void {
    const [path, query = ''] = splitOnce(topic, '?');
    const params = new URLSearchParams(query);
    if (path.startsWith('$iothub/twin/res/')) {
      const rid = params.get('$rid') ?? '';
      const waiting = conn.pending.get(rid);
      conn.pending.delete(rid);
      waiting?.resolve({ status: Number(path.split('/')[3]), body: payload });
    } else if (path === '$iothub/twin/PATCH/properties/desired/') {
      const patch = parseObject(payload);
      const version = Number(patch?.$version ?? params.get('$version'));
      if (patch) {
        this.enqueue(conn, async () => {
          await this.learnDevices(conn, Object.keys(patch));
          await this.applyDesired(conn, patch, version, 'patch');
        });
      }
    } else if (path.startsWith('$iothub/methods/POST/')) {
      void this.answerMethod(conn, path.split('/')[3], params.get('$rid') ?? '', payload);
    }
  }

  private enqueue(conn: TwinConnection, job: () => Promise<void>): void {
    conn.work = conn.work.then(job).catch((err: Error) => {
      this.context?.logger.warn({ twin: conn.twinId, err: err.message }, 'azure desired state not fully applied');
    });
  }

  // ---- outgoing ----------------------------------------------------------

  /** Publishes in order; the shortfall names the first record whose message was not acknowledged. */
  private async sendTelemetry(conn: TwinConnection, entries: Planned[], options: DeliveryOptions): Promise<Shortfall | undefined> {
    let connection: MqttConnection;
    try {
      connection = await this.whenReady(conn);
    } catch (err) {
      return { index: entries[0].index, error: asDeliveryError(err) };
    }
    // IoT Hub reads $.ce as the charset of a JSON body it may route on; a
    // gzipped body cannot be routed on anyway, so $.ce says `gzip` for the consumer.
    const base = `devices/${conn.twinId}/messages/events/$.ct=${encodeURIComponent('application/json')}&$.ce=${options.gzip ? 'gzip' : 'utf-8'}`;
    // One twin for the gateway: the device of a message goes in a property, `$.sub` (its component) with Plug and Play.
    const topicOf = (device: string) =>
      !device || !this.single ? base : this.modelId ? `${base}&$.sub=${encodeURIComponent(this.components.toTwin(device))}` : `${base}&device=${encodeURIComponent(device)}`;
    // With Plug and Play a batch holds one component's records (a message has one $.sub); in page order.
    const batches = this.single && this.modelId ? runsByDevice(entries) : [entries];
    const messages = options.batched
      ? batches.flatMap((run) => jsonArrays(run, batchLimit(options)).map(({ body, first }) => ({ body, topic: topicOf(this.modelId ? run[0].record.key : ''), first })))
      : entries.map(({ record, index }) => ({ body: record.body, topic: topicOf(record.key), first: index }));
    const results = await Promise.allSettled(
      messages.map(({ body, topic }) =>
        this.track(conn, connection.publish(topic, options.gzip ? gzipSync(body) : body, { qos: 1 })),
      ),
    );
    const failed = results.findIndex((r) => r.status === 'rejected');
    if (failed < 0) return undefined;
    return { index: messages[failed].first, error: asDeliveryError((results[failed] as PromiseRejectedResult).reason) };
  }

  private async sendReported(conn: TwinConnection, entries: Planned[]): Promise<void> {
    // Latest value per resource per device: a twin holds state, not history.
    const state = new Map<string, Json>();
    for (const { record, state: values } of entries) state.set(record.key, { ...state.get(record.key), ...values });
    const patch: Json = {};
    for (const [device, values] of state) {
      const properties: Json = {};
      for (const [resource, value] of Object.entries(values)) {
        const ack = conn.ackOf(device, resource);
        if (ack) ack.value = value;
        properties[twinKey(resource)] = ack ? { ...ack } : value;
      }
      if (this.single) patch[this.components.toTwin(device)] = { __t: 'c', ...properties };
      else Object.assign(patch, properties);
    }
    this.check(conn, await this.request(conn, REPORTED, JSON.stringify(patch)), 'reported patch');
  }

  // ---- desired state and methods ----------------------------------------

  private scheduleSync(conn: TwinConnection, delayMs: number): void {
    clearTimeout(conn.syncTimer);
    conn.syncTimer = setTimeout(() => this.enqueue(conn, () => this.syncTwin(conn)), delayMs);
  }

  /**
   * On every connect: learn the acks already reported, and catch up on the
   * desired $version unless it is acknowledged already (versions): every
   * desired value not acked at that version is reconciled against the device
   * (read, written where it differs) and acknowledged at it. The reported
   * values are not trusted for this: they may be stale.
   */
  private async syncTwin(conn: TwinConnection): Promise<void> {
    let twin: Json | undefined;
    try {
      const reply = await this.request(conn, GET, '');
      this.check(conn, reply, 'twin GET');
      twin = parseObject(reply.body);
    } catch (err) {
      if (conn.ready) this.scheduleSync(conn, this.reconnectPeriodMs);
      throw err;
    }
    const desired = asObject(twin?.desired) ?? {};
    const reported = asObject(twin?.reported) ?? {};
    await this.learnDevices(conn, [...Object.keys(desired), ...Object.keys(reported)]);
    // The twin's acks are the truth, not the ones remembered: a twin made again has none.
    conn.acks.clear();
    for (const [device, values] of this.byDevice(conn, reported)) {
      for (const [resource, value] of Object.entries(values)) {
        const ack = asObject(value);
        if (ack && typeof ack.av === 'number' && typeof ack.ac === 'number') {
          conn.setAck(device, resource, { value: ack.value, ac: ack.ac, av: ack.av, ad: typeof ack.ad === 'string' ? ack.ad : undefined });
        }
      }
    }
    const version = Number(desired.$version);
    // Only the very version applied counts: a lower one is a twin made again (a re-registered device starts at 1).
    if (!Number.isFinite(version) || this.versions.get(conn.twinId) === version) return;
    await this.applyDesired(conn, desired, version, 'catch-up');
  }

  /**
   * Applies desired values and acknowledges each at `version`. A live patch
   * writes what it holds; a catch-up reconciles every value not acked at
   * `version` yet. The version counts as applied (versions) when no value
   * failed for a reason that may pass (5xx: the device was unreachable) and,
   * for a live patch, the version before it was applied too; otherwise the
   * next connect catches up again, and a 5xx schedules that sooner.
   */
  private async applyDesired(conn: TwinConnection, desired: Json, version: number, mode: 'patch' | 'catch-up'): Promise<void> {
    const onDesired = this.context?.onDesired;
    if (!onDesired) return;
    const ackPatch: Json = {};
    let retry = false;
    for (const [device, all] of this.byDevice(conn, desired)) {
      const values = Object.fromEntries(
        Object.entries(all).filter(([resource, value]) => value !== null && (mode === 'patch' || !ackedAt(conn.ackOf(device, resource), version))),
      );
      if (Object.keys(values).length === 0) continue;
      this.context?.logger.info({ twin: conn.twinId, device, resources: Object.keys(values), version, mode }, 'azure desired state received');
      const outcomes = await onDesired({
        deviceName: device,
        values,
        origin: 'azure-desired',
        version: Number.isFinite(version) ? version : undefined,
        ...(mode === 'catch-up' ? { reconcile: true } : {}),
      });
      const acks: Json = {};
      for (const outcome of outcomes) {
        const ack = this.ackFor(conn, device, outcome, version);
        conn.setAck(device, outcome.resource, ack);
        acks[twinKey(outcome.resource)] = ack;
        if (!outcome.ok && outcome.status >= 500) retry = true;
      }
      if (this.single) ackPatch[this.components.toTwin(device)] = { __t: 'c', ...acks };
      else Object.assign(ackPatch, acks);
    }
    if (Object.keys(ackPatch).length > 0) this.check(conn, await this.request(conn, REPORTED, JSON.stringify(ackPatch)), 'desired acknowledgement');
    if (!Number.isFinite(version)) return;
    if (retry) {
      this.scheduleSync(conn, this.reconnectPeriodMs);
      return;
    }
    const applied = this.versions.get(conn.twinId);
    // A catch-up sets the version (a twin made again goes back to a lower one); a patch only moves it on.
    if (mode === 'catch-up') this.versions.set(conn.twinId, version);
    else if (applied !== undefined && applied >= version - 1) this.versions.set(conn.twinId, Math.max(applied, version));
  }

  private ackFor(conn: TwinConnection, device: string, outcome: DesiredOutcome, version: number): Ack {
    const av = Number.isFinite(version) ? version : 0;
    if (outcome.ok) return { value: outcome.value, ac: 200, av, ad: 'completed' };
    // A refused write leaves the device as it was: report the value we last knew
    // (none when unknown: null in a patch would delete the property).
    const value = conn.ackOf(device, outcome.resource)?.value;
    return { ...(value === undefined || value === null ? {} : { value }), ac: outcome.status, av, ad: outcome.message };
  }

  /** Twin properties per gateway device: components of one twin, or the twin of one device. */
  private byDevice(conn: TwinConnection, properties: Json): Map<string, Json> {
    const result = new Map<string, Json>();
    const collect = (device: string, values: Json) => {
      const plain = Object.entries(values).filter(([key]) => !key.startsWith('$') && key !== '__t');
      result.set(device, Object.fromEntries(plain.map(([key, value]) => [fromTwinKey(key), value])));
    };
    if (conn.device) {
      collect(conn.device, properties);
      return result;
    }
    for (const [key, value] of Object.entries(properties)) {
      const device = this.components.fromTwin(key);
      const values = asObject(value);
      if (key.startsWith('$') || !values || (this.devices && !this.devices.test(device))) continue;
      collect(device, values);
    }
    return result;
  }

  /**
   * Plug and Play: a component name the sink has not seen a device for yet (a
   * cleaned device name, right after a start) is looked up among the
   * gateway's devices (core-metadata), so it maps back to its device.
   */
  private async learnDevices(conn: TwinConnection, keys: string[]): Promise<void> {
    const deviceNames = this.context?.deviceNames;
    if (conn.device || !deviceNames || keys.every((key) => key.startsWith('$') || this.components.knows(key))) return;
    try {
      this.components.learn(await deviceNames());
    } catch (err) {
      this.context?.logger.warn({ err: (err as Error).message }, 'could not read the device names from core-metadata: component names not seen yet map to themselves');
    }
  }

  private async answerMethod(conn: TwinConnection, name: string, rid: string, body: Buffer): Promise<void> {
    let result: MethodResult;
    const [component, command] = splitOnce(name, '*');
    if (command) await this.learnDevices(conn, [component]);
    const target = conn.device ? { device: conn.device, method: name } : command ? { device: this.components.fromTwin(component), method: command } : undefined;
    let payload: unknown;
    try {
      payload = body.length ? JSON.parse(body.toString()) : null;
    } catch {
      payload = undefined;
    }
    if (payload === undefined) result = { status: 400, payload: { message: 'the method payload is not JSON' } };
    else if (!target || (this.devices && !this.devices.test(target.device))) {
      result = { status: 404, payload: { message: `no method ${name}: methods are named <device>*<command>` } };
    } else if (!this.context?.onMethod) {
      result = { status: 501, payload: { message: 'direct methods are not handled by this gateway' } };
    } else {
      try {
        result = await this.context.onMethod({ deviceName: target.device, method: target.method, payload });
      } catch (err) {
        result = { status: 500, payload: { message: (err as Error).message } };
      }
    }
    this.context?.logger.info({ twin: conn.twinId, method: name, status: result.status }, 'azure direct method answered');
    conn.connection?.publish(`$iothub/methods/res/${result.status}/?$rid=${rid}`, JSON.stringify(result.payload ?? null), { qos: 0 }).catch((err: Error) => {
      this.context?.logger.warn({ twin: conn.twinId, method: name, err: err.message }, 'azure direct method answer not sent');
    });
  }
}

/**
 * An ack that answers `version` for good (a 5xx said the device could not be
 * reached: tried again). Exactly that version: a twin's acks are never above
 * its desired $version, so a higher one was meant for an earlier twin of the
 * same id (deleted and made again; a reported patch can carry the old ack over).
 */
function ackedAt(ack: Ack | undefined, version: number): boolean {
  return ack !== undefined && ack.av === version && ack.ac < 500;
}

function byConnection(entries: Planned[]): Map<TwinConnection, Planned[]> {
  const groups = new Map<TwinConnection, Planned[]>();
  for (const entry of entries) {
    const list = groups.get(entry.conn);
    if (list) list.push(entry);
    else groups.set(entry.conn, [entry]);
  }
  return groups;
}

/** Most bytes of a batch before gzip: within the hub's limit once gzipped, too. */
function batchLimit(options: DeliveryOptions): number {
  return options.gzip ? MAX_MESSAGE_BYTES - GZIP_MARGIN_BYTES : MAX_MESSAGE_BYTES;
}

function splitOnce(text: string, separator: string): [string, string?] {
  const at = text.indexOf(separator);
  return at < 0 ? [text] : [text.slice(0, at), text.slice(at + separator.length)];
}

function asObject(value: unknown): Json | undefined {
  return isJsonObject(value) ? value : undefined;
}

/** The entries cut into runs of one device each, in page order (a run ends where the device changes). */
function runsByDevice(entries: Planned[]): Planned[][] {
  const runs: Planned[][] = [];
  for (const entry of entries) {
    const last = runs.at(-1);
    if (last && last[0].record.key === entry.record.key) last.push(entry);
    else runs.push([entry]);
  }
  return runs;
}

/** Records as JSON arrays of at most `limit` bytes (a bigger record goes alone), each with the page position of its first record. */
function jsonArrays(entries: Planned[], limit: number): Array<{ body: Buffer; first: number }> {
  const arrays: Array<{ body: Buffer; first: number }> = [];
  let parts: Planned[] = [];
  let size = 2;
  const flush = () => {
    if (parts.length === 0) return;
    const body: Buffer[] = [Buffer.from('[')];
    parts.forEach(({ record }, i) => body.push(...(i ? [Buffer.from(','), record.body] : [record.body])));
    body.push(Buffer.from(']'));
    arrays.push({ body: Buffer.concat(body), first: parts[0].index });
    parts = [];
    size = 2;
  };
  for (const entry of entries) {
    if (parts.length && size + entry.record.body.length + 1 > limit) flush();
    parts.push(entry);
    size += entry.record.body.length + 1;
  }
  flush();
  return arrays;
}
