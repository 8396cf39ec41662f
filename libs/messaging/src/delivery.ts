import { BoundedQueue } from './bounded-queue';
import { decodeEnvelope } from './envelope';
import { BusLogger, ThrottledLog } from './logger';
import type { BusStats, MessageEnvelope, MessageHandler, MessageLimit } from './message-bus';

/**
 * What every implementation shares on the receiving side: counters, throttled
 * logs, and the rule that neither a malformed message nor a failing handler
 * may stop a subscriber.
 */
export class DeliveryContext {
  readonly stats: BusStats = { published: 0, delivered: 0, malformed: 0, handlerErrors: 0, dropped: 0, reconnects: 0 };
  private readonly malformedLog: ThrottledLog;
  private readonly handlerLog: ThrottledLog;
  private readonly dropLog: ThrottledLog;

  constructor(readonly logger: BusLogger) {
    this.malformedLog = new ThrottledLog((o, m) => logger.warn(o, m));
    this.handlerLog = new ThrottledLog((o, m) => logger.error(o, m));
    this.dropLog = new ThrottledLog((o, m) => logger.warn(o, m));
  }

  /** Decodes a wire message; a malformed or oversized one is logged, counted and yields undefined. */
  decode(topic: string, data: Buffer | string, limit: MessageLimit = {}): MessageEnvelope | undefined {
    const max = limit.maxMessageBytes;
    if (max !== undefined) {
      const bytes = byteSize(data, max);
      if (bytes > max) {
        this.malformed(topic, `${bytes} bytes, more than the limit of ${max}; skipped unparsed`);
        limit.onOversized?.(topic, bytes);
        return undefined;
      }
    }
    const result = decodeEnvelope(data, topic);
    if (result.ok) return result.envelope;
    this.malformed(topic, result.error.message);
    return undefined;
  }

  malformed(topic: string, reason: string): void {
    this.stats.malformed++;
    this.malformedLog.write({ topic, reason, malformedTotal: this.stats.malformed }, 'message bus: skipped a malformed message');
  }

  /** Runs a handler; never rejects, so callers can acknowledge afterwards unconditionally. */
  async invoke(handler: MessageHandler, envelope: MessageEnvelope, topic: string): Promise<void> {
    try {
      await handler(envelope, topic);
      this.stats.delivered++;
    } catch (err) {
      this.stats.handlerErrors++;
      this.handlerLog.write(
        {
          topic,
          correlationID: envelope.correlationID,
          error: err instanceof Error ? err.message : String(err),
          handlerErrorsTotal: this.stats.handlerErrors,
        },
        'message bus: a subscriber handler failed; the message counts as handled',
      );
    }
  }

  dropped(where: string, count = 1): void {
    this.stats.dropped += count;
    this.dropLog.write(
      {
        where,
        droppedTotal: this.stats.dropped,
      },
      'message bus: a bounded queue was full, dropped the oldest messages',
    );
  }
}

/** A message as it came off the wire; each subscription decodes its own copy. */
export interface Delivery {
  topic: string;
  data: Buffer | string;
}

/**
 * Serial delivery for one subscription: messages reach the handler in arrival
 * order, one at a time, always from a fresh macrotask (never inside the
 * publisher's or the network reader's call stack), and a slow handler fills a
 * bounded queue instead of memory.
 */
export class DeliveryQueue {
  private draining?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly ctx: DeliveryContext,
    private readonly handler: MessageHandler,
    readonly queue: BoundedQueue<Delivery>,
    private readonly name: string,
    private readonly limit: MessageLimit = {},
  ) {
    if (queue.length > 0) this.schedule();
  }

  // Still queues after stop(): a durable queue must not lose what arrives while it is being detached.
  push(delivery: Delivery): void {
    if (this.queue.push(delivery).dropped) this.ctx.dropped(this.name);
    this.schedule();
  }

  /** Stops after the message in hand; what is still queued stays in `queue`. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.draining;
  }

  private schedule(): void {
    if (this.draining || this.stopped) return;
    this.draining = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.drain())
      .finally(() => {
        this.draining = undefined;
        if (!this.stopped && this.queue.length > 0) this.schedule();
      });
  }

  private async drain(): Promise<void> {
    while (!this.stopped) {
      const next = this.queue.shift();
      if (!next) return;
      const envelope = this.ctx.decode(next.topic, next.data, this.limit);
      if (envelope) await this.ctx.invoke(this.handler, envelope, next.topic);
    }
  }
}

/** UTF-8 size of a message; a string is measured only when its length alone cannot settle it against `max`. */
function byteSize(data: Buffer | string, max: number): number {
  if (typeof data !== 'string') return data.length;
  // Each UTF-16 unit is 1 to 3 UTF-8 bytes.
  if (data.length > max || data.length * 3 <= max) return data.length;
  return Buffer.byteLength(data, 'utf8');
}
