/**
 * One pipeline on the bus: a durable subscription per topic, each event
 * checked, filtered and transformed, then written to the outbox of every
 * sink of the pipeline in one commit (group-commit.ts: grouped with the other
 * messages in hand). The handler's promise resolves only after that commit,
 * so the broker's acknowledgement means "in the outbox": an app service
 * killed at any moment loses nothing (a message in hand comes again: at
 * least once). `maxInFlight` messages per subscription may wait for their
 * commit at once; that is what makes groups.
 */
import { parseAddEventRequest } from '@gw/contracts';
import { MessageBus, MessageEnvelope, Subscription, ThrottledLog } from '@gw/messaging';
import type { GroupCommitter } from '../outbox';
import type { SinkLogger } from '../sinks/sink';
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
  /** Outbox commits refused while holding one of this pipeline's messages (held unacknowledged and retried). */
  storeErrors: number;
}

export class PipelineRunner {
  private readonly filter: EventFilter;
  private readonly transform: Transform;
  private readonly subscriptions: Subscription[] = [];
  private readonly rejectLog: ThrottledLog;
  private readonly figures: PipelineFigures;

  constructor(
    private readonly config: PipelineConfig,
    /** Outbox route names of this pipeline, `<pipeline>.<sink>`. */
    private readonly routes: readonly string[],
    private readonly outbox: GroupCommitter,
    private readonly bus: MessageBus,
    /** The bus keeps what arrives while the service is down under `<durableName>.<pipeline>`. */
    private readonly durableName: string,
    logger: SinkLogger,
    /** Messages per subscription handed in before earlier ones are committed (SubscribeOptions.maxInFlight). */
    private readonly maxInFlight = 1,
  ) {
    this.filter = compileFilters(config.filters);
    this.transform = transformFor(config.transform);
    this.rejectLog = new ThrottledLog((o, m) => logger.warn(o, m));
    this.figures = { pipeline: config.name, received: 0, exported: 0, filteredOut: 0, rejected: 0, storeErrors: 0 };
  }

  async start(): Promise<void> {
    for (const [i, topic] of this.config.topics.entries()) {
      // One durable name per topic: a durable subscriber is one broker-side queue.
      const durable = this.config.topics.length === 1 ? `${this.durableName}.${this.config.name}` : `${this.durableName}.${this.config.name}.${i}`;
      this.subscriptions.push(await this.bus.subscribe(topic, this.handle, { durable, maxInFlight: this.maxInFlight }));
    }
  }

  /** Stops taking messages; the broker keeps the rest for the next start. */
  async stop(): Promise<void> {
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
    return this.outbox.write(this.routes, this.transform(kept), this.refused).then(this.stored);
  };

  private readonly stored = (): void => {
    this.figures.exported++;
  };

  private readonly refused = (): void => {
    this.figures.storeErrors++;
  };
}
