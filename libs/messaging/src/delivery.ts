import { BoundedQueue } from './bounded-queue';
import { decodeEnvelope } from './envelope';
import { InFlightWindow } from './in-flight';
import { BusLogger, ThrottledLog } from './logger';
import { BusStats, HandBack, MessageEnvelope, MessageHandler, MessageLimit } from './message-bus';

/**
 * What every implementation shares on the receiving side: counters, throttled
 * logs, and the rule that neither a malformed message nor a failing handler
 * may stop a subscriber.
 */
export class DeliveryContext {
  readonly stats: BusStats = { published: 0, delivered: 0, acknowledged: 0, malformed: 0, handlerErrors: 0, handedBack: 0, dropped: 0, reconnects: 0, inFlight: 0 };
  private readonly malformedLog: ThrottledLog;
  private readonly handlerLog: ThrottledLog;
  private readonly dropLog: ThrottledLog;
  private readonly handBackLog: ThrottledLog;
  private readonly reconnectListeners = new Set<() => void>();

  constructor(readonly logger: BusLogger) {
    this.malformedLog = new ThrottledLog((o, m) => logger.warn(o, m));
    this.handlerLog = new ThrottledLog((o, m) => logger.error(o, m));
    this.dropLog = new ThrottledLog((o, m) => logger.warn(o, m));
    this.handBackLog = new ThrottledLog((o, m) => logger.warn(o, m));
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

  /**
   * Runs a handler and tells whether its message is to be acknowledged: always,
   * unless the handler of a durable subscription handed it back (HandBack).
   * Never rejects.
   */
  async invoke(handler: MessageHandler, envelope: MessageEnvelope, topic: string, durable = false): Promise<boolean> {
    try {
      await handler(envelope, topic);
      this.stats.delivered++;
      return true;
    } catch (err) {
      if (durable && err instanceof HandBack) {
        this.stats.handedBack++;
        this.handBackLog.write(
          { topic, correlationID: envelope.correlationID, reason: err.message, handedBackTotal: this.stats.handedBack },
          'message bus: a handler handed its message back; left unacknowledged for the next session',
        );
        return false;
      }
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
      return true;
    }
  }

  onReconnect(listener: () => void): () => void {
    // A wrapper per call, so adding the same function twice calls it twice and removes one at a time.
    const entry = () => listener();
    this.reconnectListeners.add(entry);
    return () => void this.reconnectListeners.delete(entry);
  }

  /** The bus is connected again after losing its broker: counts it and tells every listener. */
  reconnected(): void {
    this.stats.reconnects++;
    for (const listener of [...this.reconnectListeners]) {
      try {
        listener();
      } catch (err) {
        this.logger.error({ error: err instanceof Error ? err.message : String(err) }, 'message bus: a reconnect listener failed');
      }
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
 * Delivery for one subscription: messages reach the handler in arrival
 * order, always from a fresh macrotask (never inside the publisher's or the
 * network reader's call stack), at most `maxInFlight` at a time (1: strictly
 * one after the other), and a slow handler fills a bounded queue instead of
 * memory. For a durable subscription (`maxInFlight` given) each message counts
 * as acknowledged when its own handler settles.
 */
export class DeliveryQueue {
  private draining?: Promise<void>;
  private stopped = false;
  private abandoned = false;
  /** Aborted by stop() and abandon(): a drain waiting for room in the window stops waiting. */
  private readonly halting = new AbortController();
  private readonly window: InFlightWindow;
  private readonly durable: boolean;
  /** Handed to the handler and not settled yet, in the order handed out. */
  private readonly held = new Set<Delivery>();
  /** Durable messages their handler handed back: to the front of the queue once stopped, for the next subscriber. */
  private readonly handedBack: Delivery[] = [];

  constructor(
    private readonly ctx: DeliveryContext,
    private readonly handler: MessageHandler,
    readonly queue: BoundedQueue<Delivery>,
    private readonly name: string,
    private readonly limit: MessageLimit = {},
    maxInFlight?: number,
  ) {
    this.durable = maxInFlight !== undefined;
    this.window = new InFlightWindow(maxInFlight ?? 1, ctx.stats);
    if (queue.length > 0) this.schedule();
  }

  // Still queues after stop(): a durable queue must not lose what arrives while it is being detached.
  push(delivery: Delivery): void {
    if (this.queue.push(delivery).dropped) this.ctx.dropped(this.name);
    this.schedule();
  }

  /** Hands out nothing more and waits for the messages in hand; what is still queued stays in `queue`. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.halting.abort();
    await this.draining;
    if (this.abandoned) return;
    await this.window.idle();
    for (let i = this.handedBack.length - 1; i >= 0; i--) {
      if (this.queue.unshift(this.handedBack[i]).dropped) this.ctx.dropped(this.name);
    }
    this.handedBack.length = 0;
  }

  /**
   * Stops at once, as a crashed subscriber would: returns the messages in hand
   * (oldest first) for the caller to give back, and their handlers' later
   * results acknowledge nothing.
   */
  abandon(): Delivery[] {
    this.stopped = true;
    this.abandoned = true;
    this.halting.abort();
    const inHand = [...this.held];
    this.held.clear();
    return inHand;
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
      if (this.window.free === 0) {
        await this.window.room(this.halting.signal);
        continue;
      }
      const next = this.queue.shift();
      if (!next) return;
      const envelope = this.ctx.decode(next.topic, next.data, this.limit);
      if (!envelope) {
        this.settled(next);
        continue;
      }
      this.held.add(next);
      this.window.hand(
        () => this.ctx.invoke(this.handler, envelope, next.topic, this.durable),
        (acknowledge) => this.settled(next, acknowledge),
      );
    }
  }

  private settled(delivery: Delivery, acknowledge = true): void {
    if (this.abandoned) return;
    this.held.delete(delivery);
    if (!this.durable) return;
    if (acknowledge) this.ctx.stats.acknowledged++;
    else this.handedBack.push(delivery);
  }
}

/** UTF-8 size of a message; a string is measured only when its length alone cannot settle it against `max`. */
function byteSize(data: Buffer | string, max: number): number {
  if (typeof data !== 'string') return data.length;
  // Each UTF-16 unit is 1 to 3 UTF-8 bytes.
  if (data.length > max || data.length * 3 <= max) return data.length;
  return Buffer.byteLength(data, 'utf8');
}
