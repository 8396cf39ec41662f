/**
 * autoEvents as monitored items on one connection. Each device's items are
 * one ClientMonitoredItemGroup per (interval, filter), placed in subscriptions
 * of that interval holding at most GW_OPCUA_SUBSCRIPTION_SIZE items
 * (publishing interval = sampling interval = the autoEvent's). The wanted
 * items are kept here; when the session goes everything on the server side is
 * forgotten, and when a new session is up every device's items are created
 * again, once (work runs one step at a time, and a step for an old session
 * stops). A subscription the server ends (its lifetime ran out: BadTimeout)
 * is dropped and the items it held are placed again. Notifications go to the
 * sink, the first of each item just created flagged as such; items the
 * server refused are told to the sink too.
 */
import { backoffDelay, Timer, ValueType } from '@gw/contracts';
import {
  AttributeIds,
  ClientMonitoredItemGroup,
  ClientSession,
  ClientSubscription,
  DataChangeFilter,
  DataChangeTrigger,
  DataValue,
  DeadbandType,
  MonitoringParametersOptions,
  TimestampsToReturn,
} from 'node-opcua-client';
import type { NodeAddress } from './attributes';
import { resolveNodes } from './nodes';
import { subscriptionTiming } from './subscription-timing';
import type { Logger, OpcuaConnection, SessionListener } from './session-pool';
import { isBad } from './status';

/** One monitored item wanted: a resource of an autoEvent's source. */
export interface MonitorSpec {
  deviceName: string;
  sourceName: string;
  resourceName: string;
  valueType: ValueType;
  node: NodeAddress;
  samplingMs: number;
  /** onChange autoEvents: report value changes only, past the deadband if one is given; else value or timestamp changes. */
  onChange: boolean;
  deadband?: { type: 'Absolute' | 'Percent'; value: number };
  /** The resources of the source, in order: a source's event carries them all. */
  sourceResources: readonly string[];
}

/** Where notifications go (the SourceCoalescer). */
export interface NotificationSink {
  /** A data change; `first` for the first notification of an item just created (its initial value). */
  offer(spec: MonitorSpec, value: DataValue, first: boolean): void;
  /** The server refused the item (or its node could not be resolved): it will have no values. */
  unavailable(spec: MonitorSpec): void;
}

export interface MonitorOptions {
  subscriptionSize: number;
  /** Back-off before placing a device's items again after a failure. */
  reconnectMin: number;
  reconnectMax: number;
  queueSize: number;
  maxNotificationsPerPublish: number;
  maxKeepAliveCount: number;
  lifetimeCount: number;
}

interface Slot {
  intervalMs: number;
  subscription: ClientSubscription;
  items: number;
}

interface Placed {
  slot: Slot;
  group: ClientMonitoredItemGroup;
  size: number;
}

const filterKey = (s: MonitorSpec) => `${s.samplingMs}|${s.onChange}|${s.deadband?.type ?? ''}|${s.deadband?.value ?? ''}`;

export class ConnectionMonitor implements SessionListener {
  /** What is wanted, per device. */
  private readonly wanted = new Map<string, MonitorSpec[]>();
  /** What exists in the current session, per device. */
  private readonly placed = new Map<string, Placed[]>();
  private slots: Slot[] = [];
  private session?: ClientSession;
  private generation = 0;
  private chain: Promise<void> = Promise.resolve();
  private readonly unlisten: () => void;
  /** Items the server refused, counted (logged once per device and resource). */
  refused = 0;
  /** Subscriptions the server ended on its own (their items were placed again). */
  subscriptionsEnded = 0;
  /** Devices whose items could not be placed in this session, and how often in a row. */
  private readonly failed = new Map<string, number>();
  private retry?: Timer;
  /** Subscriptions the server allows this session, learnt from BadTooManySubscriptions. */
  private maxSubscriptions = Infinity;

  constructor(
    private readonly connection: OpcuaConnection,
    private readonly options: MonitorOptions,
    private readonly sink: NotificationSink,
    private readonly logger: Logger,
  ) {
    this.unlisten = connection.listen(this);
  }

  /** Monitored items on the server now (tests, metrics). */
  get itemCount(): number {
    let n = 0;
    for (const slot of this.slots) n += slot.items;
    return n;
  }

  get subscriptionCount(): number {
    return this.slots.length;
  }

  /** Resolves when the changes asked so far are done on the server (or failed and were logged). */
  idle(): Promise<void> {
    return this.chain;
  }

  get deviceCount(): number {
    return this.wanted.size;
  }

  /** Replaces a device's monitored items (an empty list removes them). */
  setDevice(deviceName: string, specs: MonitorSpec[]): void {
    if (specs.length === 0) this.wanted.delete(deviceName);
    else this.wanted.set(deviceName, specs);
    this.failed.delete(deviceName);
    this.enqueue(async (session, generation) => {
      await this.unplace(deviceName);
      const now = this.wanted.get(deviceName);
      if (now && this.isCurrent(generation)) await this.placeOrRetry(session, generation, deviceName, now);
    });
  }

  up(session: ClientSession, generation: number): void {
    this.session = session;
    this.generation = generation;
    this.maxSubscriptions = Infinity;
    this.failed.clear();
    this.enqueue(async (s, g) => {
      for (const [deviceName, specs] of this.wanted) {
        if (!this.isCurrent(g)) return;
        // A device set while the session was coming up may be placed already: never twice.
        if (!this.placed.has(deviceName)) await this.placeOrRetry(s, g, deviceName, specs);
      }
    });
  }

  /**
   * Places a device's items; when that fails (the server refused a
   * subscription or the call timed out) what was placed is taken back and the
   * device is tried again after the back-off, the other devices going on.
   */
  private async placeOrRetry(session: ClientSession, generation: number, deviceName: string, specs: MonitorSpec[]): Promise<void> {
    try {
      await this.place(session, generation, deviceName, specs);
      this.failed.delete(deviceName);
    } catch (err) {
      if (!this.isCurrent(generation)) return;
      const failures = (this.failed.get(deviceName) ?? 0) + 1;
      this.failed.set(deviceName, failures);
      await this.unplace(deviceName).catch(() => undefined);
      this.logger.warn(
        { device: deviceName, endpoint: this.connection.endpoint.url, failures, err: (err as Error).message },
        'opcua monitored items of a device not created; trying again after a back-off',
      );
      this.scheduleRetry();
    }
  }

  private scheduleRetry(): void {
    if (this.retry || this.failed.size === 0) return;
    const worst = Math.max(...this.failed.values());
    this.retry = this.connection.clock.setTimer(() => {
      this.retry = undefined;
      this.enqueue(async (s, g) => {
        for (const deviceName of [...this.failed.keys()]) {
          const specs = this.wanted.get(deviceName);
          if (!specs || this.placed.has(deviceName)) {
            this.failed.delete(deviceName);
            continue;
          }
          if (!this.isCurrent(g)) return;
          await this.placeOrRetry(s, g, deviceName, specs);
        }
      });
    }, backoffDelay(worst, this.options.reconnectMin, this.options.reconnectMax));
  }

  down(): void {
    // The server side died with the session: forget it without calling it, and ignore late notifications.
    this.session = undefined;
    this.retry?.cancel();
    this.retry = undefined;
    for (const placed of this.placed.values()) for (const p of placed) p.group.removeAllListeners('changed');
    this.placed.clear();
    this.slots = [];
  }

  /** Stops listening; the items die with the session (closed by the pool). */
  close(): void {
    this.wanted.clear();
    this.down();
    this.unlisten();
  }

  private isCurrent(generation: number): boolean {
    return this.session !== undefined && this.generation === generation;
  }

  private enqueue(step: (session: ClientSession, generation: number) => Promise<void>): void {
    this.chain = this.chain.then(async () => {
      const session = this.session;
      const generation = this.generation;
      if (!session) return; // done when the session is up
      try {
        await step(session, generation);
      } catch (err) {
        if (this.isCurrent(generation)) this.logger.warn({ endpoint: this.connection.endpoint.url, err: (err as Error).message }, 'opcua monitored items not updated');
      }
    });
  }

  private async place(session: ClientSession, generation: number, deviceName: string, specs: MonitorSpec[]): Promise<void> {
    const batches = new Map<string, MonitorSpec[]>();
    for (const spec of specs) {
      const key = filterKey(spec);
      const list = batches.get(key);
      if (list) list.push(spec);
      else batches.set(key, [spec]);
    }
    const placed: Placed[] = this.placed.get(deviceName) ?? [];
    this.placed.set(deviceName, placed);
    for (const batch of batches.values()) {
      let nodeIds;
      try {
        nodeIds = await resolveNodes(session, batch.map((s) => s.node), (i) => where(batch[i]));
      } catch (err) {
        this.refuse(deviceName, (err as Error).message);
        for (const spec of batch) this.sink.unavailable(spec);
        continue;
      }
      let offset = 0;
      while (offset < batch.length) {
        if (!this.isCurrent(generation)) return;
        const slot = await this.slotWithRoom(session, batch[0].samplingMs);
        if (!this.isCurrent(generation)) return;
        const room = this.options.subscriptionSize - slot.items;
        const take = room > 0 ? Math.min(batch.length - offset, room) : Math.min(batch.length - offset, this.options.subscriptionSize);
        const part = batch.slice(offset, offset + take);
        const ids = nodeIds.slice(offset, offset + take);
        offset += take;
        const group = await slot.subscription.monitorItems(
          ids.map((nodeId) => ({ nodeId, attributeId: AttributeIds.Value })),
          this.parameters(part[0]),
          TimestampsToReturn.Both,
        );
        if (!this.isCurrent(generation)) return;
        slot.items += take;
        placed.push({ slot, group, size: take });
        group.monitoredItems.forEach((item, i) => {
          if (!isBad(item.statusCode)) return;
          this.refuse(deviceName, `${where(part[i])}: the server refused the monitored item: ${item.statusCode.name}`);
          this.sink.unavailable(part[i]);
        });
        const heard = new Uint8Array(part.length);
        group.on('changed', (_item, dataValue, index) => {
          if (this.generation !== generation) return;
          const first = heard[index] === 0;
          heard[index] = 1;
          this.sink.offer(part[index], dataValue, first);
        });
      }
    }
  }

  private async unplace(deviceName: string): Promise<void> {
    const placed = this.placed.get(deviceName);
    if (!placed) return;
    this.placed.delete(deviceName);
    for (const p of placed) {
      p.group.removeAllListeners('changed');
      await quietly(() => p.group.terminate());
      p.slot.items -= p.size;
      if (p.slot.items === 0) {
        this.slots = this.slots.filter((s) => s !== p.slot);
        await quietly(() => p.slot.subscription.terminate());
      }
    }
  }

  /**
   * A subscription of the session ended without being asked (the server let
   * its lifetime run out, BadTimeout): forget it, and place the items of the
   * devices that had some in it again.
   */
  private slotEnded(slot: Slot, why: string): void {
    if (!this.slots.includes(slot)) return; // ours: taken back, or the session went
    this.slots = this.slots.filter((s) => s !== slot);
    this.subscriptionsEnded++;
    const devices = [...this.placed].filter(([, list]) => list.some((p) => p.slot === slot)).map(([deviceName]) => deviceName);
    this.logger.warn(
      { endpoint: this.connection.endpoint.url, subscriptionId: slot.subscription.subscriptionId, why, devices: devices.length },
      'opcua subscription ended by the server; its monitored items are created again',
    );
    this.enqueue(async (session, generation) => {
      for (const deviceName of devices) {
        if (!this.isCurrent(generation)) return;
        await this.unplace(deviceName);
        const specs = this.wanted.get(deviceName);
        if (specs && !this.placed.has(deviceName)) await this.placeOrRetry(session, generation, deviceName, specs);
      }
    });
  }

  private async slotWithRoom(session: ClientSession, intervalMs: number): Promise<Slot> {
    const found = this.slots.find((s) => s.intervalMs === intervalMs && s.items < this.options.subscriptionSize);
    if (found) return found;
    if (this.slots.length >= this.maxSubscriptions) return this.overflowSlot(intervalMs);
    try {
      return await this.newSlot(session, intervalMs);
    } catch (err) {
      if (!/BadTooManySubscriptions/.test((err as Error).message) || this.slots.length === 0) throw err;
      // The server allows no more subscriptions in a session: fill the ones there are beyond GW_OPCUA_SUBSCRIPTION_SIZE.
      this.maxSubscriptions = this.slots.length;
      this.logger.warn(
        { endpoint: this.connection.endpoint.url, subscriptions: this.slots.length },
        `the server allows ${this.slots.length} subscriptions per session (BadTooManySubscriptions): further monitored items join them`,
      );
      return this.overflowSlot(intervalMs);
    }
  }

  /** The subscription to add to past its size: of the same interval, else the closest; the fewest items among those. */
  private overflowSlot(intervalMs: number): Slot {
    const distance = (s: Slot) => Math.abs(Math.log(s.intervalMs / intervalMs));
    return [...this.slots].sort((a, b) => distance(a) - distance(b) || a.items - b.items)[0];
  }

  private async newSlot(session: ClientSession, intervalMs: number): Promise<Slot> {
    const { publishingInterval, maxKeepAliveCount, lifetimeCount } = subscriptionTiming(intervalMs, session.timeout || 60_000, this.options);
    const subscription = await session.createSubscription2({
      requestedPublishingInterval: publishingInterval,
      requestedLifetimeCount: lifetimeCount,
      requestedMaxKeepAliveCount: maxKeepAliveCount,
      maxNotificationsPerPublish: this.options.maxNotificationsPerPublish,
      publishingEnabled: true,
      priority: 1,
    });
    const slot: Slot = { intervalMs, subscription, items: 0 };
    this.slots.push(slot);
    subscription.on('terminated', () => this.slotEnded(slot, 'terminated'));
    subscription.on('status_changed', (status) => {
      if (isBad(status)) this.slotEnded(slot, status.name);
    });
    return slot;
  }

  private parameters(spec: MonitorSpec): MonitoringParametersOptions {
    const numeric = /^(Uint|Int|Float)/.test(spec.valueType);
    const filter =
      spec.onChange && spec.deadband && numeric
        ? new DataChangeFilter({
            trigger: DataChangeTrigger.StatusValue,
            deadbandType: spec.deadband.type === 'Percent' ? DeadbandType.Percent : DeadbandType.Absolute,
            deadbandValue: spec.deadband.value,
          })
        : new DataChangeFilter({ trigger: spec.onChange ? DataChangeTrigger.StatusValue : DataChangeTrigger.StatusValueTimestamp, deadbandType: DeadbandType.None });
    return { samplingInterval: spec.samplingMs, discardOldest: true, queueSize: this.options.queueSize, filter };
  }

  private readonly refusedSeen = new Set<string>();

  private refuse(deviceName: string, message: string): void {
    this.refused++;
    if (this.refusedSeen.has(message)) return;
    if (this.refusedSeen.size > 1000) this.refusedSeen.clear();
    this.refusedSeen.add(message);
    this.logger.warn({ device: deviceName, endpoint: this.connection.endpoint.url }, message);
  }
}

/** Runs a clean-up call whose failure (sync or async) does not matter: the thing is gone either way. */
async function quietly(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch {
    /* already gone */
  }
}

const where = (s: MonitorSpec) => `device "${s.deviceName}" resource "${s.resourceName}" node ${s.node.text}`;

