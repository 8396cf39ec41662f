/**
 * One pipeline on the bus: a durable subscription per topic, each event
 * checked, filtered and transformed, then appended to the outbox of every
 * sink of the pipeline. The handler returns only after the appends committed,
 * so the broker's acknowledgement means "in the outbox": an app service
 * killed at any moment loses nothing (a message redelivered after a crash
 * between two appends reaches the first route twice: at least once).
 */
import { backoffDelay, parseAddEventRequest } from '@gw/contracts';
import { MessageBus, MessageEnvelope, Subscription, ThrottledLog } from '@gw/messaging';
import type { OutboxStore } from '../outbox';
import type { ExportRecord, SinkLogger } from '../sinks/sink';
import { compileFilters, EventFilter } from './filters';
import type { PipelineConfig } from './pipelines-file';
import { Transform, transformFor } from './transforms';

export interface PipelineFigures {
  pipeline: string;
  /** Bus messages received. */
  received: number;
  /** Events appended to the outbox (once, whatever the number of sinks). */
  exported: number;
  filteredOut: number;
  /** Messages that were not a valid AddEventRequest: logged, counted, acknowledged. */
  rejected: number;
  /** Failed outbox writes (the message is held unacknowledged and retried). */
  storeErrors: number;
}

export class PipelineRunner {
  private readonly filter: EventFilter;
  private readonly transform: Transform;
  private readonly subscriptions: Subscription[] = [];
  private readonly rejectLog: ThrottledLog;
  private readonly figures: PipelineFigures;
  private readonly storeErrorLog: ThrottledLog;
  private lastStoreError?: Error;
  private stopping = false;

  constructor(
    private readonly config: PipelineConfig,
    /** Outbox route names of this pipeline, `<pipeline>.<sink>`. */
    private readonly routes: readonly string[],
    private readonly store: OutboxStore,
    private readonly bus: MessageBus,
    /** The bus keeps what arrives while the service is down under `<durableName>.<pipeline>`. */
    private readonly durableName: string,
    logger: SinkLogger,
  ) {
    this.filter = compileFilters(config.filters);
    this.transform = transformFor(config.transform);
    this.rejectLog = new ThrottledLog((o, m) => logger.warn(o, m));
    this.figures = { pipeline: config.name, received: 0, exported: 0, filteredOut: 0, rejected: 0, storeErrors: 0 };
    this.storeErrorLog = new ThrottledLog((o, m) => logger.error(o, m));
  }

  async start(): Promise<void> {
    for (const [i, topic] of this.config.topics.entries()) {
      // One durable name per topic: a durable subscriber is one broker-side queue.
      const durable = this.config.topics.length === 1 ? `${this.durableName}.${this.config.name}` : `${this.durableName}.${this.config.name}.${i}`;
      this.subscriptions.push(await this.bus.subscribe(topic, this.handle, { durable }));
    }
  }

  /** Stops taking messages; the broker keeps the rest for the next start. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.subscriptions.splice(0).map((s) => s.unsubscribe()));
  }

  stats(): PipelineFigures {
    return { ...this.figures };
  }

  private readonly handle = (envelope: MessageEnvelope, topic: string): void | Promise<void> => {
    this.figures.received++;
    let event;
    try {
      event = parseAddEventRequest(envelope.payload).event;
    } catch (err) {
      // Acknowledged and dropped: redelivering a malformed message would only fail again.
      this.figures.rejected++;
      this.rejectLog.write(
        { pipeline: this.config.name, topic, correlationID: envelope.correlationID, err: (err as Error).message, rejectedTotal: this.figures.rejected },
        'app-service: skipped a message that is not a valid AddEventRequest',
      );
      return;
    }
    const kept = this.filter(event);
    if (!kept) {
      this.figures.filteredOut++;
      return;
    }
    const record = this.transform(kept);
    const pending = this.appendTo(this.routes, record);
    if (pending.length > 0) return this.holdUntilStored(pending, record);
    this.figures.exported++;
  };

  /** Appends to each route; returns the routes whose outbox refused the write (disk full, I/O error). */
  private appendTo(routes: readonly string[], record: ExportRecord): string[] {
    const failed: string[] = [];
    for (const route of routes) {
      try {
        this.store.append(route, record);
      } catch (err) {
        failed.push(route);
        this.lastStoreError = err as Error;
      }
    }
    return failed;
  }

  /**
   * The outbox cannot take the record: keep the bus message unacknowledged
   * (the broker holds it and everything after it) and try again with back-off
   * until the outbox takes it. Losing data because a disk filled up during a
   * cloud outage is exactly what store-and-forward is for.
   */
  private async holdUntilStored(routes: string[], record: ExportRecord): Promise<void> {
    for (let failures = 1; ; failures++) {
      this.figures.storeErrors++;
      this.storeErrorLog.write(
        { pipeline: this.config.name, routes, err: this.lastStoreError?.message, storeErrorsTotal: this.figures.storeErrors },
        'app-service: the outbox refused a write; holding the bus message and retrying',
      );
      if (this.stopping) {
        throw new Error(`pipeline ${this.config.name}: stopped while the outbox refused writes (${this.lastStoreError?.message})`);
      }
      await new Promise((resolve) => setTimeout(resolve, backoffDelay(failures, 500, 30_000)));
      routes = this.appendTo(routes, record);
      if (routes.length === 0) {
        this.figures.exported++;
        return;
      }
    }
  }
}
