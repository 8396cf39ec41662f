import { HandBack, MessageBus, MessageEnvelope, Subscription, ThrottledLog } from '@gw/messaging';
import type { Logger } from '@gw/service-kit';
import { AddEventRequest, Event, OversizedEventError, parseAddEventRequest, Topics } from '@gw/contracts';
import type { DeviceCheck, Refusal } from '../devices/device-check';
import type { Batch, BatchWriter } from './batch-writer';
import type { IngestStats } from './ingest-stats';
import { ParkedEvent, ParkingLot } from './parking-lot';
import type { Refusals } from './refusals';

export interface BusIngestOptions {
  durableName: string;
  /** Bus events in hand, not yet acknowledged (GW_CORE_DATA_MAX_IN_FLIGHT). */
  maxInFlight: number;
  /** Events with more readings are refused and counted (GW_CORE_DATA_MAX_READINGS_PER_EVENT). */
  maxReadingsPerEvent: number;
  /** Bus messages larger than this (bytes) are skipped before they are parsed, and counted (GW_CORE_DATA_MAX_BODY). */
  maxMessageBytes: number;
  /** Readings of events that may wait in memory for core-metadata to vouch for them (GW_CORE_DATA_QUEUE_LIMIT). */
  queueLimit: number;
}

/** Where BusIngest checks that an event comes from the device it names; undefined = the check is off. */
export interface DeviceChecking {
  check: DeviceCheck;
  refusals: Refusals;
}

export const MAX_READINGS_SETTING = 'GW_CORE_DATA_MAX_READINGS_PER_EVENT';

/**
 * Every device event from the bus into the batch writer, through one durable
 * subscription (at least once: a message is acknowledged to the broker only
 * after the handler resolved).
 *
 * How acknowledgement composes with batching: the handler resolves once the
 * batch holding its event is committed (crash-safe: a kill -9 loses nothing,
 * the broker delivers again what was in hand), and the bus keeps up to
 * maxInFlight messages in hand, so the batches still fill under load. What
 * could not be committed when core-data stops is handed back (HandBack), not
 * acknowledged. Redelivered events are stored once (the event id is unique).
 *
 * Each event must come from the device it names (DeviceCheck): the local
 * view of core-metadata vouches for it at the cost of a Map lookup, or the
 * full check finds the reason to refuse it (counted, logged throttled,
 * acknowledged: a refused event would only be refused again) or asks
 * core-metadata. When core-metadata cannot answer, the event is parked in
 * memory (bounded by queueLimit readings) and checked again once metadata
 * answers; events of devices the view knows keep flowing meanwhile.
 */
export class BusIngest {
  private subscription?: Subscription;
  private readonly rejectLog: ThrottledLog;
  private readonly limits: { maxReadings: number; maxReadingsSetting: string };
  private readonly parking: ParkingLot;
  private rechecking: Promise<void> = Promise.resolve();
  private stopping = false;

  constructor(
    private readonly bus: MessageBus,
    private readonly topics: Topics,
    private readonly writer: BatchWriter,
    private readonly stats: IngestStats,
    private readonly options: BusIngestOptions,
    private readonly logger: Logger,
    private readonly devices?: DeviceChecking,
  ) {
    this.rejectLog = new ThrottledLog((o, m) => logger.warn(o, m));
    this.limits = { maxReadings: options.maxReadingsPerEvent, maxReadingsSetting: MAX_READINGS_SETTING };
    this.parking = new ParkingLot(options.queueLimit, stats);
  }

  async start(): Promise<void> {
    this.subscription = await this.bus.subscribe(this.topics.allDeviceEvents(), this.handle, {
      durable: this.options.durableName,
      maxInFlight: this.options.maxInFlight,
      maxMessageBytes: this.options.maxMessageBytes,
      onOversized: this.oversized,
    });
  }

  /**
   * Stops taking messages and closes the writer: what is queued is written,
   * and the broker keeps the rest for the next start, including messages in
   * hand that could not be committed (handed back). Parked events get one
   * more check; those core-metadata still cannot vouch for are handed back.
   */
  async stop(): Promise<void> {
    // The bus waits for every message in hand before it lets go: parked events get one more
    // check; those still undecided go back to the broker unacknowledged. Events needing
    // core-metadata from now on are not parked.
    this.stopping = true;
    await this.recheckParked();
    const left = this.parking.takeAll();
    for (const item of left) item.settle?.(new HandBack('core-data stopped before core-metadata vouched for the device'));
    if (left.length) this.logger.warn({ events: left.length }, 'core-data: stopped with events core-metadata never vouched for; left to the broker for the next start');
    // The bus lets go once every message in hand is settled, and one waiting for a failing database
    // settles only when the writer gives up (handed back then): so the writer closes alongside.
    await Promise.all([this.subscription?.unsubscribe(), this.writer.close()]);
    this.subscription = undefined;
  }

  /** Checks the parked events again, oldest first (DeviceSync calls it once core-metadata answers again). */
  recheckParked(): Promise<void> {
    this.rechecking = this.rechecking.then(async () => {
      const items = this.parking.takeAll();
      for (let i = 0; i < items.length; i++) {
        let refusal: Refusal | undefined;
        try {
          refusal = await this.devices!.check.check(items[i].event, items[i].source, 'topic');
        } catch {
          this.parking.putBack(items.slice(i)); // still no answer: wait for the next recovery
          return;
        }
        if (refusal) this.refuse(items[i], refusal);
        else await this.storeParked(items[i]);
      }
    });
    return this.rechecking;
  }

  /** The bus skipped a message for its size, unparsed (and logged it); counted here as a rejected event. */
  private readonly oversized = (): void => {
    this.stats.received++;
    this.stats.rejected++;
    this.stats.oversized++;
  };

  private readonly handle = (envelope: MessageEnvelope, topic: string): void | Promise<void> => {
    this.stats.received++;
    let request: AddEventRequest;
    try {
      request = parseAddEventRequest(envelope.payload, this.limits);
    } catch (err) {
      // Acknowledged and dropped: redelivering a malformed message would only fail again.
      this.stats.rejected++;
      if (err instanceof OversizedEventError) this.stats.oversized++;
      this.rejectLog.write(
        { topic, correlationID: envelope.correlationID, err: (err as Error).message, rejectedTotal: this.stats.rejected },
        'core-data: skipped a message that is not a valid AddEventRequest',
      );
      return;
    }
    const event = request.event;
    if (this.devices && !this.devices.check.vouches(event, topic)) return this.checkFully(event, topic, envelope.correlationID);
    return this.store(event);
  };

  /** Resolves once the event is committed (its message is acknowledged then); rejects with HandBack when core-data stops first. */
  private store(event: Event): Promise<void> {
    let queued: Batch | Promise<Batch>;
    try {
      queued = this.writer.add(event, true);
    } catch (err) {
      // The writer is closing (core-data stops): the broker keeps the event for the next start.
      throw new HandBack((err as Error).message);
    }
    // The common case costs no promise per event: the batch's shared one.
    return queued instanceof Promise ? queued.then((batch: Batch) => batch.committed) : queued.committed;
  }

  /** The rare path: find why the view did not vouch for the event, asking core-metadata if need be. */
  private async checkFully(event: Event, topic: string, correlationID: string): Promise<void> {
    const { check } = this.devices!;
    const source = check.sourceOfTopic(topic);
    const item: ParkedEvent = { event, source: 'reason' in source ? EMPTY_SOURCE : source, topic, correlationID };
    if ('reason' in source) return this.refuse(item, source);
    let refusal: Refusal | undefined;
    try {
      refusal = await check.check(event, source, 'topic');
    } catch (err) {
      // Stopping: the broker keeps it for the next start, when core-metadata may answer.
      if (this.stopping) throw new HandBack(`${(err as Error).message}; core-data is stopping`);
      // Held unacknowledged until decided, in at most half the bus window: the other half keeps known devices flowing.
      if (this.parking.size < this.options.maxInFlight / 2) {
        const decided = new Promise<void>((resolve, reject) => (item.settle = (handBack) => (handBack ? reject(handBack) : resolve())));
        if (this.parking.park(item)) return decided;
      }
      return this.refuse(item, { reason: 'unverified', path: 'event.deviceName', message: `${(err as Error).message}; too many events are waiting already` });
    }
    if (refusal) return this.refuse(item, refusal);
    return this.store(event);
  }

  /** A parked event core-metadata vouched for at last: stored, and acknowledged once committed. */
  private async storeParked(item: ParkedEvent): Promise<void> {
    const settle = item.settle;
    if (!settle) return;
    // Not waited for: the next parked event need not wait for this one's commit.
    void Promise.resolve()
      .then(() => this.store(item.event))
      .then(
        () => settle(),
        (err: unknown) => settle(err instanceof HandBack ? err : new HandBack((err as Error).message)),
      );
  }

  private refuse(item: ParkedEvent, refusal: Pick<Refusal, 'path' | 'message'> & { reason: Refusal['reason'] | 'unverified' }): void {
    item.settle?.();
    this.devices!.refusals.count(refusal.reason, {
      topic: item.topic,
      correlationID: item.correlationID,
      device: item.event.deviceName,
      field: refusal.path,
      err: refusal.message,
    });
  }
}

const EMPTY_SOURCE = { serviceName: '', profileName: '', deviceName: '', sourceName: '' };

