/**
 * KubeEdge device twins over edgecore's MQTT eventbus, as a mapper speaks it
 * (topics and payloads: kubeedge-twin-payloads.ts). Each gateway device is
 * the KubeEdge Device `{namespace}/{name}` (name: `names`, else the gateway
 * name lowercased; kubeedge-twin-settings.ts); its resources are twin
 * properties.
 *
 * Reported state: one `twin/update` per device with the merged records'
 * values as `actual` (text), answered by edgecore on `twin/update/result`
 * (matched by event_id): 400 (a value not of the twin's type) is final for
 * the record that causes it (sendMerged finds it); 404 (no such Device on
 * this node) for the whole device: its records are dropped by sending
 * nothing, logged once, until the next reconnect or a minute has passed;
 * no answer, 500 or a lost connection: retried by the outbox. A value no
 * twin can hold (text with spaces, objects, arrays) is left out, and logged
 * once per device and resource.
 *
 * Desired state: `twin/update/delta` (live), and `twin/get` → `get/result`
 * for every known device on each (re)connect (catch-up). Since KubeEdge
 * 1.15 the cloud sends no desired values to the edge's twins (they reach a
 * DMI mapper: the gateway's mapper mode, libs/kubeedge-dmi): `expected` is
 * set by local MQTT apps and DMI mapper reports. Each desired value
 * goes to `onDesired` (core-command, read back; desired-state.ts); a
 * catch-up reconciles against the device (read first, written only where it
 * differs), since the actual value the twin holds may be stale. Desired
 * changes of one device are applied one at a time; what arrives meanwhile is
 * merged and applied next. Outcomes are reported in the same twin:
 *  - ok: `actual` = the value the device reports after the write (the delta
 *    disappears when that equals the expected value);
 *  - refused: `gatewayErrors.<resource>` = `<status>:<message>` (a twin value
 *    holds no spaces: they become `_`); a later success deletes it.
 * A desired value counts as settled once on the device or refused for good
 * (4xx): its version (the time edgecore stored it, `expected.metadata.
 * timestamp`) and a hash of its value are kept in the outbox database, so
 * neither the deltas edgecore repeats after every twin change nor a restart
 * apply it again. edgecore stamps an expected value anew on every update
 * that carries it, unchanged or not (a DMI mapper's every report): a newer
 * stamp on the settled value is settled, an older stamp (a stale answer, a
 * reordered delta) too, so a refused value is not tried again and an older
 * value never written back until a different value is desired. A 5xx (the
 * device could not be reached) or a lost outcome report is caught up again
 * after the reconnect period (5 s by default) while connected, and on every
 * reconnect; deltas meanwhile do not apply it again. A desired value without a timestamp is kept settled in memory
 * only (a restart reconciles it: read, written only where it differs).
 *
 * Device state: `state/update` `online` (operatingState UP), `offline`
 * (DOWN, or the device deleted), `unknown`, for every handled device on each
 * (re)connect and whenever core-metadata changes one.
 */
import { createHash, randomUUID } from 'node:crypto';
import { kubeEdgeTwinSettings, KubeEdgeTwinSettings } from './kubeedge-twin-settings';
import {
  actual,
  DesiredValue,
  deviceId,
  errorKey,
  errorTwin,
  message,
  MsgTwin,
  parseDelta,
  parseResult,
  replyOf,
  reportedTwin,
  topics,
  TwinResult,
  twinText,
  desiredOf,
  GATEWAY_ERRORS,
  keyed,
} from './kubeedge-twin-payloads';
import { MAX_INCOMING_BYTES, MqttConnection, warnAboutTransport } from './mqtt-connection';
import type { AckedVersions, ConnectionStatus, DeliveryOptions, DesiredOutcome, DeviceOperatingState, OutboxRecord, Sink, SinkContext, SinkLogger } from './sink';
import { DeliveryError, MemoryAckedVersions } from './sink';
import type { KubeEdgeTwinSinkConfig } from './sink-config';
import { firstShortfall, JsonObject, parseJsonObject, PendingReplies, Semaphore, sendMerged } from './twin-delivery';

const MAX_IN_FLIGHT = 16;
/** How soon a desired value the device could not take (5xx) is tried again, unless reconnectPeriodMs says otherwise. */
const RETRY_PERIOD_MS = 5_000;
/** How long a device edgecore has no Device for (404) has its records dropped before it is tried again (also on every reconnect). */
const MISSING_RECHECK_MS = 60_000;
/** At most one look-up of core-metadata's devices this often for deltas of KubeEdge names no known device has. */
const LOOKUP_INTERVAL_MS = 30_000;

export interface KubeEdgeTwinSinkOptions {
  /** How long to wait for edgecore's `…/result` (default 10 s). */
  responseTimeoutMs?: number;
  reconnectPeriodMs?: number;
  connectTimeoutMs?: number;
  /** Clock for message timestamps (ms since the epoch). */
  now?: () => number;
}

interface Entry {
  index: number;
  state: JsonObject;
}

interface DesiredQueue {
  running: boolean;
  drained: Promise<void>;
  next?: { desired: Record<string, DesiredValue>; catchUp: boolean };
}

const STATE_OF: Record<DeviceOperatingState['operatingState'], string> = { UP: 'online', DOWN: 'offline', UNKNOWN: 'unknown' };

export class KubeEdgeTwinSink implements Sink {
  readonly name: string;
  readonly maxBatch = 1000;
  /** Messages from edgecore that could not be read (logged with the field). */
  rejectedMessages = 0;
  private readonly settings: KubeEdgeTwinSettings;
  private readonly now: () => number;
  private readonly replies: PendingReplies<TwinResult>;
  private readonly slots = new Semaphore(MAX_IN_FLIGHT);
  private connection?: MqttConnection;
  private context?: SinkContext;
  private versions: AckedVersions = new MemoryAckedVersions();
  private stopped = false;
  private stopWatching?: () => Promise<void>;
  private readonly queues = new Map<string, DesiredQueue>();
  /** Devices whose twin was read on the current connection. */
  private readonly synced = new Set<string>();
  /** Per device: gatewayErrors.* keys its twin holds (only those may be deleted: edgecore stops at a null for a key it lacks). */
  private readonly errorKeys = new Map<string, Set<string>>();
  /** Per device: desired values without a version settled in this process (resource → value). */
  private readonly settledValues = new Map<string, Map<string, string>>();
  private readonly warned = new Set<string>();
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();
  /** Per device: resources whose desired value the device could not take (5xx), left to the retry's catch-up. */
  private readonly awaitingRetry = new Map<string, Set<string>>();
  /** Devices edgecore has no Device for (404), and since when (this.now()). */
  private readonly missing = new Map<string, number>();
  private readonly missingWarned = new Set<string>();
  /** The look-up of core-metadata's devices in flight, and when the last one started. */
  private lookup?: Promise<void>;
  private lastLookup = -Infinity;

  constructor(
    private readonly config: KubeEdgeTwinSinkConfig,
    private readonly options: KubeEdgeTwinSinkOptions = {},
  ) {
    this.name = config.name;
    this.settings = kubeEdgeTwinSettings(config);
    this.now = options.now ?? Date.now;
    this.replies = new PendingReplies(options.responseTimeoutMs ?? 10_000);
  }

  get connected(): boolean {
    return this.connection?.connected ?? false;
  }

  connectionStatus(): ConnectionStatus {
    return this.connection?.status() ?? { connected: false };
  }

  private get logger(): SinkLogger {
    return this.context!.logger;
  }

  async start(context: SinkContext): Promise<void> {
    this.context = context;
    if (context.versions) this.versions = context.versions;
    const { url, tls, clientId, namespace } = this.settings;
    warnAboutTransport({ name: this.name, url, tls }, context.logger);
    const connection = new MqttConnection({
      name: this.name,
      url,
      clientId,
      username: this.config.username,
      password: this.config.password,
      tls,
      subscriptions: topics.replies(namespace),
      logger: context.logger,
      reconnectPeriodMs: this.options.reconnectPeriodMs,
      connectTimeoutMs: this.options.connectTimeoutMs,
      operationTimeoutMs: this.options.responseTimeoutMs,
      onOversized: (topic, bytes) => this.refuseMessage(topic, '', `larger than ${MAX_INCOMING_BYTES} bytes (${bytes})`),
    });
    this.connection = connection;
    connection.onMessage((topic, payload) => this.onMessage(topic, payload));
    connection.onDown(() => {
      this.synced.clear();
      this.clearRetries();
      this.replies.failAll('the MQTT connection was lost');
    });
    connection.onUp(() => void this.onUp());
    if (context.deviceStates) {
      this.stopWatching = await context.deviceStates
        .watch((state) => {
          // A device added to core-metadata: deltas for its KubeEdge name map back to it without a look-up.
          if (!state.removed && this.handles(state.deviceName)) this.settings.names.learn([state.deviceName]);
          void this.publishState(state);
        })
        .catch((err: Error) => {
          context.logger.warn({ error: err.message }, 'cannot follow device operating states: device state is sent on connect only');
          return undefined;
        });
    }
    await connection.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.clearRetries();
    this.replies.failAll('the sink is stopping');
    await this.stopWatching?.().catch(() => undefined);
    await this.connection?.stop();
  }

  /**
   * One twin update per device with the merged reported state of its
   * records. The page is planned up to its first record that can never be
   * delivered (telemetry, a device with no valid KubeEdge name, a body that
   * is no JSON object); an update edgecore refuses (400, 404) is narrowed
   * down to the record that makes it refused (sendMerged). Records of
   * devices this sink does not handle are delivered by sending nothing.
   */
  async deliver(records: OutboxRecord[], _options: DeliveryOptions): Promise<void> {
    const devices = new Map<string, Entry[]>();
    let refused: { index: number; reason: string } | undefined;
    for (const [index, record] of records.entries()) {
      if (record.kind !== 'reported') {
        refused = { index, reason: `record ${record.id} is telemetry: a kubeedge-twin sink takes twin state only (use the twin transform)` };
        break;
      }
      if (!this.handles(record.key) || this.isMissing(record.key)) continue;
      const problem = this.settings.names.problem(record.key);
      const state = parseJsonObject(record.body);
      if (problem || !state) {
        refused = { index, reason: `record ${record.id}: ${problem ?? `device ${record.key}: the body is not a JSON object of resource values`}` };
        break;
      }
      const entries = devices.get(record.key);
      if (entries) entries.push({ index, state });
      else devices.set(record.key, [{ index, state }]);
    }
    if (devices.size > 0 && !this.connected) {
      throw new DeliveryError(`${this.name}: not connected to ${this.connection?.endpoint ?? 'the broker (not started)'}`, 'retry');
    }
    const shortfalls = await Promise.all(
      [...devices].map(([device, entries]) => sendMerged(entries, (prefix) => this.report(device, Object.assign(keyed(), ...prefix.map((e) => e.state)) as JsonObject))),
    );
    const first = firstShortfall([...shortfalls, refused && { index: refused.index, error: new DeliveryError(refused.reason, 'reject') }]);
    if (first) throw new DeliveryError(`${this.name}: ${first.error.message}`, first.error.disposition, { cause: first.error, delivered: first.index });
  }

  private async report(device: string, state: JsonObject): Promise<void> {
    const { twin, omitted } = reportedTwin(state, this.now());
    for (const { resource, reason } of omitted) {
      const key = `${device}\u0000${resource}`;
      if (this.warned.has(key)) continue;
      this.warned.add(key);
      this.logger.warn({ device, resource, reason }, 'reported value left out: a KubeEdge twin cannot hold it (logged once per device and resource)');
    }
    if (Object.keys(twin).length > 0) {
      const result = await this.request(device, 'update', { twin });
      if (result.error?.code === 404) {
        // The whole device is missing, not this record: its records are delivered by sending nothing.
        this.markMissing(device);
        return;
      }
      if (result.error) throw this.refusal(device, result.error);
    }
    if (!this.synced.has(device)) void this.sync(device);
  }

  private refusal(device: string, error: { code: number; reason: string }): DeliveryError {
    const id = this.idOf(device);
    return new DeliveryError(`device ${device} (${id}): edgecore answered ${error.code} (${error.reason || 'no reason given'})`, error.code === 400 ? 'reject' : 'retry');
  }

  /** edgecore has no Device for it (404): its records are dropped until the next reconnect, or MISSING_RECHECK_MS. Logged once per device. */
  private markMissing(device: string): void {
    this.missing.set(device, this.now());
    const id = this.idOf(device);
    if (this.missingWarned.has(device)) {
      this.logger.debug({ device, id }, 'still no KubeEdge Device on this edge node');
      return;
    }
    this.missingWarned.add(device);
    this.logger.warn(
      { device, id },
      `no KubeEdge Device ${id} on this edge node (edgecore answered 404): the device's reported state is dropped until one is declared (checked again on reconnect and every ${MISSING_RECHECK_MS / 1000} s; logged once per device)`,
    );
  }

  private isMissing(device: string): boolean {
    const since = this.missing.get(device);
    if (since === undefined) return false;
    if (this.now() - since < MISSING_RECHECK_MS) return true;
    this.missing.delete(device);
    return false;
  }

  // ---- requests ----------------------------------------------------------

  private idOf(device: string): string {
    return deviceId(this.settings.namespace, this.settings.names.toKube(device));
  }

  private async request(device: string, op: 'update' | 'get', body: JsonObject): Promise<TwinResult> {
    const id = this.idOf(device);
    await this.slots.acquire();
    try {
      const eventId = randomUUID();
      const topic = op === 'update' ? topics.twinUpdate(id) : topics.twinGet(id);
      return await this.replies.exchange(eventId, `${id} twin ${op}`, async () => {
        if (!this.connection) throw new Error('not started');
        await this.connection.publish(topic, message(eventId, this.now(), body), { qos: 1 });
      });
    } finally {
      this.slots.release();
    }
  }

  private onMessage(topic: string, payload: Buffer): void {
    const reply = replyOf(topic);
    if (!reply || reply.namespace !== this.settings.namespace) return;
    const body = parseJsonObject(payload);
    if (!body) {
      this.refuseMessage(topic, '', 'not a JSON object');
      return;
    }
    if (reply.kind === 'delta') {
      const delta = parseDelta(body);
      if (!delta.ok) this.refuseMessage(topic, delta.field, delta.reason);
      else if (Object.keys(delta.value).length > 0) void this.onDelta(reply.name, delta.value);
      return;
    }
    // Results of other clients' requests (other mappers on the node) arrive too, and late ones: only those waited for are read.
    const eventId = body.event_id;
    if (typeof eventId !== 'string' || !this.replies.waiting(eventId)) return;
    const result = parseResult(body);
    if (!result.ok) {
      this.refuseMessage(topic, result.field, result.reason);
      this.replies.fail(eventId, `edgecore's answer could not be read: ${result.field} ${result.reason}`);
      return;
    }
    this.replies.resolve(eventId, result.value);
  }

  /** A message from edgecore that cannot be read: logged with the field and counted, never thrown. */
  private refuseMessage(topic: string, field: string, reason: string): void {
    this.rejectedMessages++;
    this.logger.warn({ topic, field: field || '(message)', reason, rejectedTotal: this.rejectedMessages }, `KubeEdge message refused: ${field || 'the message'} ${reason}`);
  }

  // ---- connection, device state ------------------------------------------

  private async onUp(): Promise<void> {
    const { deviceStates } = this.context ?? {};
    // Devices missing on edgecore are tried again on every connect.
    this.missing.clear();
    let learned = false;
    if (deviceStates) {
      try {
        const states = await deviceStates.current();
        // One listing of core-metadata's devices serves both: their names and their states.
        this.lastLookup = this.now();
        this.settings.names.learn(states.map((s) => s.deviceName).filter((d) => this.handles(d)));
        learned = true;
        for (const state of states) void this.publishState(state);
      } catch (err) {
        this.logger.warn({ error: (err as Error).message }, 'could not read device operating states from core-metadata');
      }
    }
    if (!learned) await this.learnDevices();
    for (const device of this.settings.names.known()) if (this.handles(device)) void this.sync(device);
  }

  private async learnDevices(): Promise<void> {
    const deviceNames = this.context?.deviceNames;
    if (!deviceNames) return;
    this.lastLookup = this.now();
    try {
      this.settings.names.learn((await deviceNames()).filter((d) => this.handles(d)));
    } catch (err) {
      this.logger.warn({ error: (err as Error).message }, 'could not read the device names from core-metadata');
    }
  }

  /**
   * The gateway device of a KubeEdge name. A name no known device has is
   * looked up in core-metadata, one look-up at a time and at most every
   * LOOKUP_INTERVAL_MS (other mappers' devices in the namespace send deltas
   * too); devices added later are learned from core-metadata's events.
   */
  private async deviceOf(name: string): Promise<string | undefined> {
    const known = this.settings.names.fromKube(name);
    if (known !== undefined || !this.context?.deviceNames) return known;
    if (!this.lookup && this.now() - this.lastLookup >= LOOKUP_INTERVAL_MS) {
      this.lookup = this.learnDevices().finally(() => (this.lookup = undefined));
    }
    await this.lookup;
    return this.settings.names.fromKube(name);
  }

  private async publishState({ deviceName, operatingState, removed }: DeviceOperatingState): Promise<void> {
    if (!this.handles(deviceName) || this.settings.names.problem(deviceName) || !this.connected) return;
    const id = this.idOf(deviceName);
    const state = removed ? 'offline' : STATE_OF[operatingState] ?? 'unknown';
    try {
      await this.connection!.publish(topics.stateUpdate(id), message(randomUUID(), this.now(), { state }), { qos: 1 });
      this.logger.debug({ device: deviceName, id, state }, 'device state sent');
    } catch (err) {
      // Sent again on the next connect.
      this.logger.warn({ device: deviceName, id, error: (err as Error).message }, 'device state not sent');
    }
  }

  private handles(device: string): boolean {
    return device !== '' && (this.settings.devices?.test(device) ?? true);
  }

  // ---- desired state -----------------------------------------------------

  private async onDelta(name: string, desired: Record<string, DesiredValue>): Promise<void> {
    const device = await this.deviceOf(name);
    if (device === undefined || !this.handles(device)) {
      this.logger.debug({ name }, 'delta for a KubeEdge device no gateway device of this sink has; ignored');
      return;
    }
    await this.enqueue(device, desired, false);
  }

  /** Reads the device's twin and catches up on its desired values (reconciled against the device). */
  private async sync(device: string): Promise<void> {
    if (!this.context?.onDesired || !this.connected || this.synced.has(device)) return;
    this.synced.add(device);
    let result: TwinResult;
    try {
      result = await this.request(device, 'get', {});
    } catch (err) {
      this.synced.delete(device);
      this.logger.warn({ device, error: (err as Error).message }, 'could not read the device twin');
      return;
    }
    if (result.error?.code === 404) {
      this.markMissing(device);
      return;
    }
    if (result.error) {
      // Read again after the retry period, not only on the next reconnect.
      this.synced.delete(device);
      this.logger.warn({ device, code: result.error.code, reason: result.error.reason }, 'edgecore refused the twin get: read again later');
      this.retryLater(device);
      return;
    }
    const twin = result.twin ?? {};
    this.errorKeys.set(device, new Set(Object.keys(twin).filter((k) => k.startsWith(GATEWAY_ERRORS) && twin[k] !== null)));
    const desired = desiredOf(twin);
    if (Object.keys(desired).length > 0) await this.enqueue(device, desired, true);
  }

  private enqueue(device: string, desired: Record<string, DesiredValue>, catchUp: boolean): Promise<void> {
    if (!this.context?.onDesired) return Promise.resolve();
    const queue = this.queues.get(device) ?? { running: false, drained: Promise.resolve() };
    this.queues.set(device, queue);
    // A delta holds every differing key; a catch-up every desired one: merged, the newest value wins
    // (by the time edgecore stored it: a twin/get answered before a delta may arrive after it).
    const merged = Object.assign(keyed<DesiredValue>(), queue.next?.desired);
    for (const [resource, value] of Object.entries(desired)) {
      const waiting = merged[resource];
      if (waiting?.timestamp === undefined || value.timestamp === undefined || value.timestamp >= waiting.timestamp) merged[resource] = value;
    }
    queue.next = { desired: merged, catchUp: catchUp || (queue.next?.catchUp ?? false) };
    if (!queue.running) queue.drained = this.drain(device, queue);
    return queue.drained;
  }

  private async drain(device: string, queue: DesiredQueue): Promise<void> {
    queue.running = true;
    try {
      while (queue.next && !this.stopped) {
        const { desired, catchUp } = queue.next;
        queue.next = undefined;
        try {
          // A value the device could not take (5xx) waits for the retry's catch-up: the deltas meanwhile do not apply it again.
          const waiting = catchUp ? undefined : this.awaitingRetry.get(device);
          const pending = Object.entries(desired).filter(([resource, value]) => !waiting?.has(resource) && !this.settled(device, resource, value, catchUp));
          if (pending.length > 0) await this.apply(device, Object.fromEntries(pending), catchUp);
        } catch (err) {
          // The outbox database could not keep a version (disk full, closed): caught up again later, never thrown out of here.
          this.logger.error({ device, error: (err as Error)?.message ?? String(err) }, 'desired state not settled: caught up again after the retry period');
          this.retryLater(device);
        }
      }
    } finally {
      queue.running = false;
    }
  }

  /**
   * Applied already, or refused for good: its version is kept and it is not
   * newer, or it is the settled value stamped anew; or (no version) the same
   * value settled in this process.
   */
  private settled(device: string, resource: string, desired: DesiredValue, catchUp: boolean): boolean {
    if (desired.timestamp !== undefined) {
      const key = this.versionKey(device, resource);
      const version = this.versions.get(key);
      if (version === undefined) return false;
      return desired.timestamp <= version || this.versions.get(`${key}${VALUE_SUFFIX}`) === valueHash(desired.value);
    }
    return !catchUp && this.settledValues.get(device)?.get(resource) === desired.value;
  }

  private versionKey(device: string, resource: string): string {
    return `${this.idOf(device)}/${resource}`;
  }

  private async apply(device: string, desired: Record<string, DesiredValue>, catchUp: boolean): Promise<void> {
    const values = Object.fromEntries(Object.entries(desired).map(([resource, d]) => [resource, d.value]));
    let outcomes: DesiredOutcome[];
    try {
      outcomes = await this.context!.onDesired!({ deviceName: device, values, origin: 'kubeedge-delta', ...(catchUp ? { reconcile: true } : {}) });
    } catch (err) {
      // The handler promises not to throw; if it does, every value gets the failure.
      const text = (err as Error)?.message ?? String(err);
      outcomes = Object.keys(values).map((resource) => ({ resource, ok: false, status: 500, message: text }));
    }
    const failed = outcomes.filter((o) => !o.ok).length;
    this.logger.info({ device, ok: outcomes.length - failed, failed, catchUp }, 'KubeEdge desired state applied');

    const now = this.now();
    const errors = this.errorKeys.get(device) ?? new Set<string>();
    const twin = keyed<MsgTwin | null>();
    for (const outcome of outcomes) {
      const key = errorKey(outcome.resource);
      if (outcome.ok) {
        const form = twinText(outcome.value);
        if ('text' in form) twin[outcome.resource] = actual(form.text, form.type, now);
        if (key && errors.has(key)) twin[key] = null;
      } else if (outcome.status < 500 && key) {
        twin[key] = errorTwin(outcome.status, outcome.message, now);
      }
    }
    try {
      if (Object.keys(twin).length > 0) {
        const result = await this.request(device, 'update', { twin });
        if (result.error) throw new Error(`edgecore answered ${result.error.code} (${result.error.reason})`);
      }
    } catch (err) {
      // Not reported: caught up again (reconciled, so a value already on the device is read, not written again).
      this.logger.error({ device, error: (err as Error).message }, 'could not report the outcome of desired changes');
      this.retryLater(device);
      return;
    }
    for (const [key, entry] of Object.entries(twin)) {
      if (!key.startsWith(GATEWAY_ERRORS)) continue;
      if (entry === null) errors.delete(key);
      else errors.add(key);
    }
    this.errorKeys.set(device, errors);
    let retry = false;
    for (const outcome of outcomes) {
      if (!outcome.ok && outcome.status >= 500) {
        retry = true;
        const waiting = this.awaitingRetry.get(device) ?? new Set<string>();
        waiting.add(outcome.resource);
        this.awaitingRetry.set(device, waiting);
        continue;
      }
      if (!Object.hasOwn(desired, outcome.resource)) continue;
      const value = desired[outcome.resource];
      if (value.timestamp !== undefined) {
        const key = this.versionKey(device, outcome.resource);
        // The value first: a crash between the two leaves the older version, under which the new value counts as settled anyway.
        this.versions.set(`${key}${VALUE_SUFFIX}`, valueHash(value.value));
        this.versions.set(key, value.timestamp);
      } else {
        const values = this.settledValues.get(device) ?? new Map<string, string>();
        values.set(outcome.resource, value.value);
        this.settledValues.set(device, values);
      }
    }
    if (retry) this.retryLater(device);
  }

  /** A value the device could not take for now (5xx), or an outcome report that was lost: read the twin again after the reconnect period, while connected. */
  private retryLater(device: string): void {
    if (this.stopped || !this.connected || this.retryTimers.has(device)) return;
    const timer = setTimeout(() => {
      this.retryTimers.delete(device);
      this.awaitingRetry.delete(device);
      this.synced.delete(device);
      void this.sync(device);
    }, this.options.reconnectPeriodMs ?? RETRY_PERIOD_MS);
    timer.unref();
    this.retryTimers.set(device, timer);
  }

  private clearRetries(): void {
    for (const timer of this.retryTimers.values()) clearTimeout(timer);
    this.retryTimers.clear();
    this.awaitingRetry.clear();
  }
}

/** Key suffix, next to a desired value's version, of the hash of the value settled under it. */
const VALUE_SUFFIX = '#value';

/** A desired value as a number the outbox database keeps (48 bits of its SHA-256: a collision is as likely as never). */
function valueHash(value: string): number {
  return createHash('sha256').update(value).digest().readUIntBE(0, 6);
}
