import { MessageBus, MessageEnvelope, Subscription, ThrottledLog } from '@gw/messaging';
import type { Logger } from '@gw/service-kit';
import { AddEventRequest, OversizedEventError, parseAddEventRequest, Topics } from '@gw/contracts';
import type { Batch, BatchWriter } from './batch-writer';
import type { IngestStats } from './ingest-stats';

export type AckMode = 'queued' | 'persisted';

export interface BusIngestOptions {
  durableName: string;
  ackMode: AckMode;
  /** Events with more readings are refused and counted (GW_CORE_DATA_MAX_READINGS_PER_EVENT). */
  maxReadingsPerEvent: number;
  /** Bus messages larger than this (bytes) are skipped before they are parsed, and counted (GW_CORE_DATA_MAX_BODY). */
  maxMessageBytes: number;
}

export const MAX_READINGS_SETTING = 'GW_CORE_DATA_MAX_READINGS_PER_EVENT';

/**
 * Every device event from the bus into the batch writer, through one durable
 * subscription (at least once: a message is acknowledged to the broker only
 * after the handler resolved).
 *
 * How acknowledgement composes with batching: the bus hands a durable
 * subscriber one message at a time and acknowledges it when the handler
 * resolves. Awaiting each event's commit would therefore write batches of one.
 * - `queued` (default): the handler resolves once the event is in the
 *   writer's bounded queue, awaiting room when it is full (backpressure: the
 *   broker keeps the rest). close() stops the subscription first, then
 *   flushes the queue, so a stop/restart loses nothing; a crash loses what
 *   was queued but not yet committed (at most queueLimit readings).
 * - `persisted`: the handler resolves on commit: crash-safe, one commit per
 *   event until the bus can keep several messages in flight per subscriber.
 * Redelivered events are stored once (the event id is unique).
 */
export class BusIngest {
  private subscription?: Subscription;
  private readonly rejectLog: ThrottledLog;
  private readonly limits: { maxReadings: number; maxReadingsSetting: string };

  constructor(
    private readonly bus: MessageBus,
    private readonly topics: Topics,
    private readonly writer: BatchWriter,
    private readonly stats: IngestStats,
    private readonly options: BusIngestOptions,
    logger: Logger,
  ) {
    this.rejectLog = new ThrottledLog((o, m) => logger.warn(o, m));
    this.limits = { maxReadings: options.maxReadingsPerEvent, maxReadingsSetting: MAX_READINGS_SETTING };
  }

  async start(): Promise<void> {
    this.subscription = await this.bus.subscribe(this.topics.allDeviceEvents(), this.handle, {
      durable: this.options.durableName,
      maxMessageBytes: this.options.maxMessageBytes,
      onOversized: this.oversized,
    });
  }

  /** Stops taking messages after the one in hand; the broker keeps the rest for the next start. */
  async stop(): Promise<void> {
    await this.subscription?.unsubscribe();
    this.subscription = undefined;
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
    const persisted = this.options.ackMode === 'persisted';
    const queued = this.writer.add(request.event, persisted);
    if (persisted) return Promise.resolve(queued).then((batch: Batch) => batch.done.then(noop));
    // Only a full queue costs a promise: the common case returns synchronously.
    return queued instanceof Promise ? queued.then(noop) : undefined;
  };
}

function noop(): void {}
