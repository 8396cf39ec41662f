/**
 * AWS IoT Device Shadow over MQTT (X.509 client certificate over TLS): the
 * gateway's twin state goes to the `reported` section of a shadow, and
 * desired changes (`update/delta`) come back down to the actuators.
 *
 * Things: `thingName` with `{device}` gives one thing per gateway device and
 * a shadow state of `{resource: value}`; a `thingName` without `{device}` is
 * one thing for the whole gateway with state `{device: {resource: value}}`.
 * `shadowName` selects a named shadow instead of the classic one.
 *
 * Requests carry a clientToken unique to this process; replies arrive on
 * `+`-wildcard subscriptions (one set for all things, rather than per-thing
 * subscriptions that would run into the per-connection subscription quota),
 * so the IoT policy must allow those topic filters. At most 8 requests are in
 * flight: AWS IoT answers 429 beyond 10 per connection.
 *
 * Versions: reported updates carry no `version`, so the service never
 * compares versions for them (last writer wins, which is right for
 * readings); should one still get 409, the sink reads the shadow and retries
 * once, then leaves it to the outbox (retry). The one update that sends a
 * version is the desired-outcome update that removes refused desired values
 * (below), sent at the version of the delta it answers: it must not remove a
 * value the cloud set again meanwhile. On 409 the sink reads the shadow
 * (`get`), keeps only the removals whose desired value is unchanged, and
 * retries once at the version read; after that it reports without removing.
 *
 * Size: AWS IoT keeps at most 8 KB of desired + reported state per shadow
 * (metadata excluded). A 413 is final for the record that makes the update
 * too big (DeliveryError reject; see deliver() for how it is found).
 *
 * Desired state: each delta maps back to a gateway device (inverting the
 * `thingName` template, honouring `devices`) and goes to `onDesired`. Deltas
 * of one thing are applied one at a time; while one is applied, only the
 * newest that arrives is kept (a delta carries every differing desired key,
 * so it supersedes older ones), minus values identical to the ones just
 * applied and settled (a value that got a 5xx is not settled). A catch-up
 * (below) is never skipped for a version seen before, and the versions seen
 * live are forgotten when the connection drops (their outcome report may be
 * lost with it). Outcomes are reported in the same shadow:
 *  - ok: `reported[resource] = value the device reports after the write`;
 *    the delta disappears when that equals the desired value (a device that
 *    rounds a value keeps a visible delta).
 *  - failed: `reported.gatewayErrors[resource] = {status, message, version}`
 *    and `desired[resource] = null`, so a refused value does not stay
 *    pending forever; a later success sets the error entry to null.
 * Desired values set while the gateway was offline: the first time a thing
 * is touched on a connection (and for every known thing after a reconnect),
 * the sink reads the shadow and, unless its version is one the sink has
 * applied in full (`versions`, kept in the outbox database), reconciles the
 * whole desired state against the device, not only the delta: the reported
 * side may be stale (a value equal to stale reported state makes no delta),
 * so each value is read from the device and written where it differs. The
 * version counts as applied once every value is on the device or refused for
 * good; the sink's own updates that follow it directly keep it current. A
 * 5xx, or an outcome report that was lost, makes the sink read the shadow
 * and catch up again after the reconnect period (5 s by default) while
 * connected, and on every reconnect. Only the very version kept counts as
 * applied: a shadow at a lower one (a thing made again, another account) is
 * caught up, and its version kept instead. Outcome reports are best effort
 * (logged when lost), not part of the durable outbox.
 */
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { awsShadowSettings, ThingMap, thingNameProblem } from './aws-shadow-settings';
import { MqttConnection, warnAboutTransport } from './mqtt-connection';
import type { AckedVersions, ConnectionStatus, DeliveryOptions, DesiredChange, DesiredOutcome, OutboxRecord, Sink, SinkContext, SinkLogger } from './sink';
import { DeliveryError, MemoryAckedVersions } from './sink';
import type { AwsShadowSinkConfig } from './sink-config';
import type { TlsOptions } from './tls';
import { firstShortfall, isJsonObject as isObject, parseJsonObject as parseObject, PendingReplies, Semaphore, sendMerged } from './twin-delivery';

/** Reported key for refused desired values. AWS documents no reserved shadow keys; a plain name is safest for rules and SQL. */
export const GATEWAY_ERRORS = 'gatewayErrors';
/** Desired + reported bytes one shadow may hold (AWS IoT Device Shadow quota). */
export const SHADOW_STATE_LIMIT_BYTES = 8 * 1024;
const MAX_IN_FLIGHT = 8;
/** How soon a desired value the device could not take (5xx) is tried again, unless reconnectPeriodMs says otherwise. */
const RETRY_PERIOD_MS = 5_000;
const REPLY_TOPIC = /^\$aws\/things\/([^/]+)\/shadow(?:\/name\/([^/]+))?\/(update|get)\/(accepted|rejected|delta)$/;

export interface AwsShadowSinkOptions {
  /** How long to wait for `accepted`/`rejected` (default 10 s). */
  responseTimeoutMs?: number;
  reconnectPeriodMs?: number;
  connectTimeoutMs?: number;
}

type Json = Record<string, unknown>;

/** What the shadow service answered: the accepted document, or the error document. */
export type ShadowReply = { ok: true; doc: ShadowDocument } | { ok: false; code: number; message: string };

export interface ShadowDocument {
  state?: { desired?: Json; reported?: Json; delta?: Json };
  version?: number;
  timestamp?: number;
  clientToken?: string;
}

/** A record of a page bound for a shadow: its position in the page and its reported state. */
export interface ReportedEntry {
  index: number;
  device: string;
  state: Json;
}

/** A page as shadow updates: what deliver() sends, and where it must stop. */
export interface ReportedPlan {
  /** Thing → its records in page order, up to the first record that can never be delivered. */
  things: Map<string, ReportedEntry[]>;
  /** That record (its position in the page) and why; nothing from it on is planned. */
  refused?: { index: number; reason: string };
  /** Records of devices this sink does not handle: delivered by sending nothing. */
  skipped: number;
}

export function planReported(records: OutboxRecord[], map: ThingMap): ReportedPlan {
  const things = new Map<string, ReportedEntry[]>();
  let skipped = 0;
  for (const [index, record] of records.entries()) {
    const refuse = (reason: string): ReportedPlan => ({ things, refused: { index, reason }, skipped });
    if (record.kind !== 'reported') return refuse(`record ${record.id} is telemetry: an aws-shadow sink takes twin state only (use the twin transform)`);
    if (!map.handles(record.key)) {
      skipped++;
      continue;
    }
    const thing = map.thingOf(record.key);
    const nameProblem = thingNameProblem(thing);
    if (nameProblem) return refuse(`record ${record.id} (device ${record.key}): ${nameProblem}`);
    const state = parseObject(record.body);
    if (!state) return refuse(`record ${record.id} (device ${record.key}): the body is not a JSON object of resource values`);
    const entries = things.get(thing);
    if (entries) entries.push({ index, device: record.key, state });
    else things.set(thing, [{ index, device: record.key, state }]);
  }
  return { things, skipped };
}

/** The reported section of one thing's update: the latest value per resource (entries are in order). */
export function mergeReported(perDevice: boolean, entries: ReportedEntry[]): Json {
  const merged: Json = {};
  for (const { device, state } of entries) {
    if (perDevice) Object.assign(merged, state);
    else merged[device] = Object.assign((merged[device] as Json | undefined) ?? {}, state);
  }
  return merged;
}

/** A desired value a device refused: reported as an error and removed from desired. */
export interface RefusedValue {
  deviceName: string;
  resource: string;
  value: unknown;
  /** 4xx: the value will never be taken; 5xx: the device could not be reached (tried again on the next connect). */
  status: number;
}

/** The reported section answering applied desired changes, and the desired values that were refused. */
export function outcomeState(
  perDevice: boolean,
  results: Array<{ change: DesiredChange; outcomes: DesiredOutcome[] }>,
): { reported: Json; refused: RefusedValue[] } {
  const reported: Json = {};
  const refused: RefusedValue[] = [];
  for (const { change, outcomes } of results) {
    const section: Json = {};
    const errors: Json = {};
    for (const outcome of outcomes) {
      if (outcome.ok) {
        section[outcome.resource] = outcome.value;
        errors[outcome.resource] = null;
      } else {
        errors[outcome.resource] = { status: outcome.status, message: outcome.message, ...(change.version !== undefined ? { version: change.version } : {}) };
        refused.push({ deviceName: change.deviceName, resource: outcome.resource, value: change.values[outcome.resource], status: outcome.status });
      }
    }
    if (Object.keys(errors).length > 0) section[GATEWAY_ERRORS] = errors;
    if (perDevice) Object.assign(reported, section);
    else reported[change.deviceName] = section;
  }
  return { reported, refused };
}

/** `desired` section removing refused values (null deletes a key). */
export function desiredRemovals(perDevice: boolean, refused: RefusedValue[]): Json | undefined {
  if (refused.length === 0) return undefined;
  const desired: Json = {};
  for (const { deviceName, resource } of refused) {
    if (perDevice) desired[resource] = null;
    else desired[deviceName] = { ...((desired[deviceName] as Json | undefined) ?? {}), [resource]: null };
  }
  return desired;
}

/** 400, 413 and 415 are about the request itself and will be refused again; the rest can pass later. */
export function dispositionOf(code: number): 'retry' | 'reject' {
  return code === 400 || code === 413 || code === 415 ? 'reject' : 'retry';
}

interface DesiredQueue {
  running: boolean;
  /** Settles when the queue is empty again (drain never rejects). */
  drained: Promise<void>;
  /** Newest live delta version handed to onDesired on this connection (forgotten when it drops: its outcome may be lost). */
  applied?: number;
  /** `catchUp`: the whole desired state read on (re)connect, reconciled against the device. */
  next?: { version?: number; changes: DesiredChange[]; catchUp: boolean };
}

export class AwsShadowSink implements Sink {
  readonly name: string;
  readonly maxBatch = 1000;
  private readonly map: ThingMap;
  private readonly tls: TlsOptions;
  private readonly responseTimeoutMs: number;
  private readonly tokenPrefix = `${randomBytes(6).toString('hex')}-`;
  private seq = 0;
  private stopped = false;
  private connection?: MqttConnection;
  private context?: SinkContext;
  private versions: AckedVersions = new MemoryAckedVersions();
  private readonly replies: PendingReplies<ShadowReply>;
  private readonly slots = new Semaphore(MAX_IN_FLIGHT);
  private readonly desiredQueues = new Map<string, DesiredQueue>();
  /** Things whose desired state was read (or is being read) on the current connection. */
  private readonly synced = new Map<string, Promise<void>>();
  /** Things this sink has written to (read again after a reconnect). */
  private readonly known = new Set<string>();
  /** Things whose desired state is read again after a 5xx or a lost outcome report, while connected. */
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly config: AwsShadowSinkConfig,
    private readonly options: AwsShadowSinkOptions = {},
  ) {
    this.name = config.name;
    const settings = awsShadowSettings(config);
    this.map = settings.things;
    this.tls = settings.tls;
    this.responseTimeoutMs = options.responseTimeoutMs ?? 10_000;
    this.replies = new PendingReplies(this.responseTimeoutMs);
    if (!this.map.perDevice) this.known.add(this.map.template);
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
    const things = this.map.perDevice ? '+' : this.map.template;
    const base = this.topicBase(things);
    const subscriptions: Record<string, 1> = {
      [`${base}/update/accepted`]: 1,
      [`${base}/update/rejected`]: 1,
      [`${base}/get/accepted`]: 1,
      [`${base}/get/rejected`]: 1,
    };
    if (context.onDesired) subscriptions[`${base}/update/delta`] = 1;
    warnAboutTransport({ name: this.name, url: this.config.url, tls: this.tls, expectTls: true }, context.logger);
    const connection = new MqttConnection({
      name: this.name,
      url: this.config.url,
      clientId: this.config.clientId,
      tls: this.tls,
      subscriptions,
      logger: context.logger,
      reconnectPeriodMs: this.options.reconnectPeriodMs,
      connectTimeoutMs: this.options.connectTimeoutMs,
      // A PUBACK later than the reply would be is as good as none: fail (and drop) the publish then.
      operationTimeoutMs: this.responseTimeoutMs,
    });
    this.connection = connection;
    connection.onMessage((topic, payload) => this.onMessage(topic, payload));
    connection.onDown(() => {
      this.synced.clear();
      this.clearRetries();
      // An outcome report in flight is lost with the connection: the versions seen on it prove nothing now.
      for (const queue of this.desiredQueues.values()) queue.applied = undefined;
      this.failPending('the MQTT connection was lost');
    });
    connection.onUp(() => {
      for (const thing of this.known) void this.resyncOnce(thing);
    });
    await connection.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.clearRetries();
    this.failPending('the sink is stopping');
    await this.connection?.stop();
  }

  /**
   * One shadow update per thing with the merged reported state of its records.
   *
   * A refused record must cost only itself: on `reject` the outbox drops just
   * the record after the `delivered` ones and sends the rest again (sink.ts).
   * So the page is planned up to its first record that can never be
   * delivered (telemetry, a device name that makes no valid thing name, a body
   * that is no JSON object), before anything is sent; and when the service
   * refuses a thing's merged update (400/413), sendMerged narrows it down to
   * the record that makes it refused. The call then fails at the first record
   * not delivered, whatever thing it belongs to: `reject` when that record was
   * refused, `retry` when its update could not get through. Records of other
   * things after it may have been written already; the outbox sends them
   * again, and the shadow ends in the same state (last writer wins).
   */
  async deliver(records: OutboxRecord[], _options: DeliveryOptions): Promise<void> {
    // gzip does not apply: the shadow service takes UTF-8 JSON only (415 otherwise).
    const plan = planReported(records, this.map);
    if (plan.skipped > 0) this.logger.debug({ skipped: plan.skipped }, 'records of devices this sink does not handle were skipped');
    if (plan.things.size > 0 && !this.connection?.connected) {
      throw new DeliveryError(`${this.name}: not connected to ${this.connection?.endpoint ?? 'the broker (not started)'}`, 'retry');
    }
    const shortfalls = await Promise.all(
      [...plan.things].map(([thing, entries]) => sendMerged(entries, (prefix) => this.report(thing, mergeReported(this.map.perDevice, prefix)))),
    );
    const refused = plan.refused && { index: plan.refused.index, error: new DeliveryError(plan.refused.reason, 'reject') };
    const first = firstShortfall([...shortfalls, refused]);
    if (first) {
      throw new DeliveryError(`${this.name}: ${first.error.message}`, first.error.disposition, { cause: first.error, delivered: first.index });
    }
  }

  private async report(thing: string, reported: Json): Promise<void> {
    const bytes = Buffer.byteLength(JSON.stringify(reported));
    if (bytes > SHADOW_STATE_LIMIT_BYTES) {
      throw new DeliveryError(
        `thing ${thing}: the reported state is ${bytes} bytes, more than the ${SHADOW_STATE_LIMIT_BYTES} bytes a shadow holds (AWS IoT would answer 413)`,
        'reject',
      );
    }
    let reply = await this.request(thing, 'update', { state: { reported } });
    if (!reply.ok && reply.code === 409) {
      // Without a version the service does not compare versions, so this comes from something
      // in between (or a service change); read the shadow once, as AWS advises, and try again.
      this.logger.warn({ thing, message: reply.message }, 'shadow update answered 409 without a version; reading the shadow and retrying once');
      await this.fetch(thing).catch(() => undefined);
      reply = await this.request(thing, 'update', { state: { reported } });
    }
    if (!reply.ok) throw this.rejection(thing, reply, bytes);
    this.advance(thing, reply.doc.version);
    this.known.add(thing);
    void this.resyncOnce(thing);
  }

  /**
   * Keeps the applied version in step with the sink's own updates: one
   * accepted right after the kept version moved the shadow by itself alone,
   * so nothing the cloud did is skipped. Anything else in between (a cloud
   * update, or two of ours answered out of order) leaves the kept version
   * behind, and the next connect reads the desired state again.
   */
  private advance(thing: string, accepted: number | undefined): void {
    if (accepted !== undefined && this.versions.get(thing) === accepted - 1) this.versions.set(thing, accepted);
  }

  private rejection(thing: string, reply: { code: number; message: string }, bytes: number): DeliveryError {
    let message = `thing ${thing}: AWS IoT rejected the shadow update with ${reply.code} (${reply.message})`;
    if (reply.code === 413) {
      message += `: the shadow would hold more than ${SHADOW_STATE_LIMIT_BYTES} bytes of desired + reported state (this update: ${bytes} bytes)`;
    }
    return new DeliveryError(message, dispositionOf(reply.code));
  }

  private topicBase(thing: string): string {
    return `$aws/things/${thing}/shadow${this.config.shadowName ? `/name/${this.config.shadowName}` : ''}`;
  }

  private async request(thing: string, op: 'update' | 'get', body: Json): Promise<ShadowReply> {
    await this.slots.acquire();
    try {
      const clientToken = `${this.tokenPrefix}${++this.seq}`;
      return await this.replies.exchange(clientToken, `thing ${thing}: shadow ${op}`, () =>
        this.connection!.publish(`${this.topicBase(thing)}/${op}`, JSON.stringify({ ...body, clientToken }), { qos: 1 }),
      );
    } finally {
      this.slots.release();
    }
  }

  private failPending(why: string): void {
    this.replies.failAll(why);
  }

  /** The shadow document, or undefined when the thing has no shadow yet. */
  private async fetch(thing: string): Promise<ShadowDocument | undefined> {
    const reply = await this.request(thing, 'get', {});
    if (reply.ok) return reply.doc;
    if (reply.code === 404) return undefined;
    throw new Error(`thing ${thing}: shadow get answered ${reply.code} (${reply.message})`);
  }

  private onMessage(topic: string, payload: Buffer): void {
    const match = REPLY_TOPIC.exec(topic);
    if (!match || match[2] !== this.config.shadowName) return;
    const [, thing, , op, kind] = match;
    const body = parseObject(payload);
    if (!body) {
      this.logger.warn({ topic }, 'shadow message is not a JSON object; ignored');
      return;
    }
    if (op === 'update' && kind === 'delta') {
      this.onDelta(thing, body.state, body.version);
      return;
    }
    // Replies to other clients' requests arrive too (wildcard subscriptions): only ours are waited for.
    if (typeof body.clientToken !== 'string') return;
    this.replies.resolve(
      body.clientToken,
      kind === 'accepted'
        ? { ok: true, doc: body as ShadowDocument }
        : { ok: false, code: typeof body.code === 'number' ? body.code : 500, message: String(body.message ?? 'no message') },
    );
  }

  /**
   * Catches up on a thing's desired state once per connection, unless the
   * shadow has not changed since its desired state was last applied in full
   * (versions): every desired value, not only the delta, is reconciled
   * against the device (read, written where it differs), since the reported
   * side the delta is computed from may be stale.
   */
  private resyncOnce(thing: string): Promise<void> {
    if (!this.context?.onDesired || !this.connected) return Promise.resolve();
    const under = this.synced.get(thing);
    if (under) return under;
    const read = this.fetch(thing)
      .then((doc) => {
        // Only the very version applied counts: a lower one is a shadow deleted and made again (versions restart at 1).
        if (!doc || typeof doc.version !== 'number' || this.versions.get(thing) === doc.version) return;
        const desired = doc.state?.desired;
        if (isObject(desired) && Object.keys(desired).length > 0) return this.onDelta(thing, desired, doc.version, true);
        this.versions.set(thing, doc.version);
      })
      .catch((err) => {
        this.synced.delete(thing);
        this.logger.warn({ thing, error: (err as Error).message }, 'could not read pending desired state');
      });
    this.synced.set(thing, read);
    return read;
  }

  /**
   * A value the device could not take for now (5xx), or an outcome report
   * that was lost: read the desired state again after the reconnect period,
   * while connected (a drop clears this; the reconnect catches up anyway).
   */
  private retryLater(thing: string): void {
    if (this.stopped || !this.connected || this.retryTimers.has(thing)) return;
    const timer = setTimeout(() => {
      this.retryTimers.delete(thing);
      if (!this.connected) return;
      this.synced.delete(thing);
      void this.resyncOnce(thing);
    }, this.options.reconnectPeriodMs ?? RETRY_PERIOD_MS);
    timer.unref();
    this.retryTimers.set(thing, timer);
  }

  private clearRetries(): void {
    for (const timer of this.retryTimers.values()) clearTimeout(timer);
    this.retryTimers.clear();
  }

  /** Queues desired state for the thing; resolves when the queue has drained (a catch-up waits for it). */
  private onDelta(thing: string, state: unknown, rawVersion: unknown, catchUp = false): Promise<void> {
    if (!this.context?.onDesired || !isObject(state)) return Promise.resolve();
    const version = typeof rawVersion === 'number' ? rawVersion : undefined;
    const changes = this.changesOf(thing, state, version, catchUp);
    if (changes.length === 0) return Promise.resolve();
    const queue: DesiredQueue = this.desiredQueues.get(thing) ?? { running: false, drained: Promise.resolve() };
    this.desiredQueues.set(thing, queue);
    // A catch-up reads the whole desired state again (after a drop, a 5xx, a recreated shadow): a version
    // seen before is no reason to skip it, only a newer one already waiting is.
    const newest = Math.max(catchUp ? -1 : (queue.applied ?? -1), queue.next?.version ?? -1);
    if (version !== undefined && version <= newest) return queue.drained;
    queue.next = { version, changes, catchUp };
    if (!queue.running) queue.drained = this.drain(thing, queue);
    return queue.drained;
  }

  private changesOf(thing: string, state: Json, version: number | undefined, reconcile: boolean): DesiredChange[] {
    const change = (deviceName: string, values: Json): DesiredChange[] => {
      const { [GATEWAY_ERRORS]: _ignored, ...rest } = values;
      if (Object.keys(rest).length === 0) return [];
      return [{ deviceName, values: rest, origin: 'aws-delta', ...(version !== undefined ? { version } : {}), ...(reconcile ? { reconcile } : {}) }];
    };
    if (this.map.perDevice) {
      const device = this.map.deviceOf(thing);
      return device ? change(device, state) : [];
    }
    if (thing !== this.map.template) return [];
    return Object.entries(state).flatMap(([device, values]) => (this.map.handles(device) && isObject(values) ? change(device, values) : []));
  }

  private async drain(thing: string, queue: DesiredQueue): Promise<void> {
    queue.running = true;
    let previous: DesiredChange[] = [];
    try {
      while (queue.next) {
        const { version, changes, catchUp } = queue.next;
        queue.next = undefined;
        if (version !== undefined && !catchUp) queue.applied = Math.max(queue.applied ?? -1, version);
        // A delta that arrived meanwhile repeats every still-differing key, including the ones just
        // applied (a refused value, or a device that rounds): apply only what changed since. A catch-up
        // reconciles everything (it reads before it writes, so a repeat costs a read, never a write).
        const fresh = catchUp ? changes : changes.map((c) => withoutRepeats(c, previous)).filter((c) => Object.keys(c.values).length > 0);
        try {
          const outcome = fresh.length === 0 ? { complete: true, settled: [] } : await this.applyDesired(thing, fresh, version, catchUp);
          // Only values that reached an end (on the device, or refused for good) count as applied; a 5xx is tried again.
          previous = outcome.settled;
          // A catch-up read the whole desired state at `version`: applied in full, the next connect need not read it again
          // (nor after the sink's own outcome report, when that came right after). Set, not raised: a recreated
          // shadow starts again at a lower version.
          if (catchUp && outcome.complete && version !== undefined) this.versions.set(thing, outcome.confirmed ?? version);
          if (!outcome.complete) this.retryLater(thing);
        } catch (err) {
          // The outbox database could not keep the version (disk full, closed): caught up again later, never thrown out of here.
          this.logger.error({ thing, error: (err as Error)?.message ?? String(err) }, 'desired state not settled: caught up again after the reconnect period');
          this.retryLater(thing);
        }
      }
    } finally {
      queue.running = false;
    }
  }

  /**
   * Applies and reports. `complete`: no value failed for a reason that may
   * pass (5xx: the device was unreachable); `confirmed`: the shadow version
   * after the outcome report, when nothing else changed it meanwhile.
   */
  private async applyDesired(
    thing: string,
    changes: DesiredChange[],
    version: number | undefined,
    catchUp: boolean,
  ): Promise<{ complete: boolean; confirmed?: number; settled: DesiredChange[] }> {
    const onDesired = this.context!.onDesired!;
    const results = await Promise.all(
      changes.map(async (change) => {
        let outcomes: DesiredOutcome[];
        try {
          outcomes = await onDesired(change);
        } catch (err) {
          // The handler promises not to throw; if it does, every value gets the failure.
          const message = (err as Error)?.message ?? String(err);
          outcomes = Object.keys(change.values).map((resource) => ({ resource, ok: false, status: 500, message }));
        }
        const failed = outcomes.filter((o) => !o.ok).length;
        this.logger.info(
          { thing, device: change.deviceName, version: change.version, ok: outcomes.length - failed, failed },
          'shadow delta applied',
        );
        return { change, outcomes };
      }),
    );
    const { reported, refused } = outcomeState(this.map.perDevice, results);
    let confirmed: number | undefined;
    try {
      confirmed = await this.reportOutcomes(thing, reported, refused.filter((r) => r.status < 500), version, catchUp);
    } catch (err) {
      this.logger.error({ thing, error: (err as Error).message }, 'could not report the outcome of desired changes');
      return { complete: false, settled: [] };
    }
    const settled = results.map(({ change, outcomes }) => {
      const retried = new Set(outcomes.filter((o) => !o.ok && o.status >= 500).map((o) => o.resource));
      return { ...change, values: Object.fromEntries(Object.entries(change.values).filter(([resource]) => !retried.has(resource))) };
    });
    return { complete: refused.every((r) => r.status < 500), confirmed, settled };
  }

  /**
   * Reports outcomes and removes refused desired values, under optimistic
   * locking at the version the delta was read at: if anything changed since
   * (even our own reported updates), read the shadow and remove only the
   * values the cloud still wants as they were refused. A catch-up (`lock`)
   * reports under that lock even with nothing to remove, so an accepted
   * first attempt proves nothing changed in between: its new version is
   * returned (the shadow as this sink left it), undefined otherwise.
   */
  private async reportOutcomes(thing: string, reported: Json, refused: RefusedValue[], deltaVersion: number | undefined, lock = false): Promise<number | undefined> {
    let stillRefused = refused;
    let version = deltaVersion;
    for (let attempt = 0; attempt < 2 && (stillRefused.length > 0 || (lock && attempt === 0 && version !== undefined)); attempt++) {
      const desired = desiredRemovals(this.map.perDevice, stillRefused);
      const reply = await this.request(thing, 'update', { state: { reported, ...(desired ? { desired } : {}) }, ...(version !== undefined ? { version } : {}) });
      if (reply.ok) return attempt === 0 && version !== undefined ? reply.doc.version : undefined;
      if (reply.code !== 409) throw new Error(`shadow update answered ${reply.code} (${reply.message})`);
      const doc = await this.fetch(thing);
      version = doc?.version;
      const current = doc?.state?.desired ?? {};
      stillRefused = stillRefused.filter((r) => isDeepStrictEqual(this.map.perDevice ? current[r.resource] : (current[r.deviceName] as Json | undefined)?.[r.resource], r.value));
      this.logger.info({ thing, version, removing: stillRefused.length }, 'shadow changed meanwhile (409); retrying the outcome report');
    }
    if (stillRefused.length > 0) {
      this.logger.warn({ thing }, 'refused desired values stay in the shadow: it kept changing (409)');
    }
    const reply = await this.request(thing, 'update', { state: { reported } });
    if (!reply.ok) throw new Error(`shadow update answered ${reply.code} (${reply.message})`);
    this.advance(thing, reply.doc.version);
    return undefined;
  }
}

function withoutRepeats(change: DesiredChange, previous: DesiredChange[]): DesiredChange {
  const before = previous.find((p) => p.deviceName === change.deviceName)?.values ?? {};
  const values = Object.fromEntries(Object.entries(change.values).filter(([k, v]) => !(k in before && isDeepStrictEqual(before[k], v))));
  return { ...change, values };
}
