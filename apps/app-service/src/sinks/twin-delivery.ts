/**
 * Delivery of merged twin state (AWS shadows, Azure twins, KubeEdge device
 * twins): a page's records are merged per twin; when a twin refuses its
 * update, the record that makes it refused is found, so only that record is
 * dropped (DeliveryError.delivered). And what the twin sinks share besides:
 * JSON object parsing, a bound on requests in flight.
 */
import { DeliveryError } from './sink';

/** Where the delivery of a page stopped: `index` is the page position of the first record not delivered. */
export interface Shortfall {
  index: number;
  error: DeliveryError;
}

/** The shortfall at the earliest record, if any. */
export function firstShortfall(shortfalls: Array<Shortfall | undefined>): Shortfall | undefined {
  return shortfalls.reduce<Shortfall | undefined>((first, s) => (s && (!first || s.index < first.index) ? s : first), undefined);
}

export function asDeliveryError(err: unknown): DeliveryError {
  return err instanceof DeliveryError ? err : new DeliveryError((err as Error)?.message ?? String(err), 'retry', { cause: err });
}

/**
 * Delivers one twin's records (in page order) as one merged update. When the
 * cloud refuses it as a whole (reject), the record that makes it refused is
 * found by bisection over merged prefixes of the records: whatever is
 * accepted on the way is state the twin really had, in order, and only that
 * record and the ones after it stay undelivered. `send` gets the prefix to
 * merge and send.
 */
export async function sendMerged<E extends { index: number }>(entries: E[], send: (prefix: E[]) => Promise<void>): Promise<Shortfall | undefined> {
  // The first `accepted` entries are delivered; the first `refused` ones were refused together.
  let accepted = 0;
  let refused = entries.length + 1;
  let refusal: DeliveryError | undefined;
  for (let count = entries.length; ; count = (accepted + refused) >> 1) {
    try {
      await send(entries.slice(0, count));
      accepted = count;
    } catch (err) {
      const error = asDeliveryError(err);
      if (error.disposition === 'retry') return { index: entries[accepted].index, error };
      refused = count;
      refusal = error;
    }
    if (accepted === entries.length) return undefined;
    if (refused - accepted === 1) return { index: entries[accepted].index, error: refusal! };
  }
}

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The JSON object a message holds, or undefined (not JSON, or not an object). */
export function parseJsonObject(body: Buffer): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return isJsonObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** At most `free` holders at once (requests in flight to a twin service); the others wait in order. */
export class Semaphore {
  private readonly waiting: Array<() => void> = [];
  constructor(private free: number) {}

  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

/**
 * Requests answered on another topic, matched by an id the request carries
 * (AWS clientToken, KubeEdge event_id): each waits at most `timeoutMs` for
 * its reply; a failed send, a timeout or failAll() (the connection dropped)
 * fails it with a `retry` DeliveryError. Replies nobody waits for (other
 * clients', late ones) are ignored.
 */
export class PendingReplies<T> {
  private readonly pending = new Map<string, { what: string; resolve(reply: T): void; reject(err: Error): void }>();

  constructor(private readonly timeoutMs: number) {}

  /** Registers `id`, runs `send` (the publish), and resolves with the reply to `id`. */
  async exchange(id: string, what: string, send: () => Promise<void>): Promise<T> {
    const reply = new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new DeliveryError(`${what}: no answer within ${this.timeoutMs} ms`, 'retry'));
      }, this.timeoutMs);
      const settle = () => {
        clearTimeout(timer);
        this.pending.delete(id);
      };
      this.pending.set(id, { what, resolve: (r) => (settle(), resolve(r)), reject: (e) => (settle(), reject(e)) });
    });
    // It may fail (timeout, connection lost) while the publish still waits for its PUBACK.
    reply.catch(() => undefined);
    try {
      await send();
    } catch (err) {
      this.pending.get(id)?.reject(new DeliveryError(`${what}: ${(err as Error).message}`, 'retry', { cause: err }));
    }
    return reply;
  }

  /** Hands a reply to the request waiting for it; false when none is. */
  resolve(id: string, reply: T): boolean {
    const waiting = this.pending.get(id);
    waiting?.resolve(reply);
    return waiting !== undefined;
  }

  /** Whether a request waits for the reply to `id` (a reply to none is another client's, or late). */
  waiting(id: string): boolean {
    return this.pending.has(id);
  }

  /** Fails the request waiting for `id` at once (its reply came but could not be read); false when none waits. */
  fail(id: string, why: string): boolean {
    const waiting = this.pending.get(id);
    waiting?.reject(new DeliveryError(`${waiting.what}: ${why}`, 'retry'));
    return waiting !== undefined;
  }

  /** Fails every request waiting (the connection dropped, the sink stops), each naming what it was. */
  failAll(why: string): void {
    for (const waiting of [...this.pending.values()]) waiting.reject(new DeliveryError(`${waiting.what}: no answer: ${why}`, 'retry'));
  }
}
