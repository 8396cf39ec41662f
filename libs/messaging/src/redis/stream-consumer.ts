import type Redis from 'ioredis';
import type { DeliveryContext } from '../delivery';
import { ThrottledLog } from '../logger';
import type { MessageHandler } from '../message-bus';
import type { TopicFilter } from '../topic-filter';

export interface StreamConsumerSettings {
  /** The durable name: consumer group and consumer both. */
  name: string;
  key: string;
  filter: TopicFilter;
  handler: MessageHandler;
  readBatch: number;
  blockMs: number;
  retryDelayMs: number;
}

type StreamEntry = [id: string, fields: string[] | null];
type ReadReply = Array<[key: string, entries: StreamEntry[]]> | null;

/**
 * A durable subscriber on a Redis stream, through a consumer group named after
 * it. It first re-reads its own pending entries (delivered before a crash or
 * an unsubscribe but never acknowledged), then blocks for new ones on its own
 * connection. Each entry is acknowledged (XACK) only after the handler
 * resolved, so delivery is at least once and in stream order.
 */
export class RedisStreamConsumer {
  private stopping = false;
  private inHand: Promise<void> = Promise.resolve();
  private loop?: Promise<void>;
  private wake?: () => void;
  private abort!: (err: Error) => void;
  // ioredis never fails a command parked in its offline queue when disconnect()
  // is called between reconnect attempts, so every command races this instead.
  private readonly aborted = new Promise<never>((_, reject) => (this.abort = reject));
  private readonly errorLog: ThrottledLog;

  constructor(
    private readonly conn: Redis,
    private readonly settings: StreamConsumerSettings,
    private readonly ctx: DeliveryContext,
  ) {
    this.errorLog = new ThrottledLog((o, m) => ctx.logger.warn(o, m));
  }

  /** Creates the group at the stream's end the first time: a new subscriber starts with new events. */
  async start(): Promise<void> {
    this.aborted.catch(() => undefined);
    await this.ensureGroup('$');
    this.loop = this.run();
  }

  /** Finishes the entry in hand and leaves the rest pending in the group for next time. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.inHand;
    // Cuts short a blocking read, or any command parked in ioredis's offline queue
    // during an outage. The batch's XACK, if any, was written before this point.
    this.conn.disconnect();
    this.abort(new Error('durable subscriber stopped'));
    await this.loop;
  }

  private async run(): Promise<void> {
    // '0' = our pending entries list; '>' = entries never delivered to the group.
    let cursor = '0';
    while (!this.stopping) {
      try {
        const reading = cursor === '>';
        const reply = (await this.read(cursor, reading)) as ReadReply;
        const entries = reply?.[0]?.[1] ?? [];
        if (!reading && entries.length === 0) {
          cursor = '>';
          continue;
        }
        const lastHandled = await this.handle(entries);
        if (!reading && lastHandled) cursor = lastHandled;
      } catch (err) {
        if (this.stopping) break;
        const message = err instanceof Error ? err.message : String(err);
        if (message.includes('NOGROUP')) {
          // The stream or group vanished (Redis restarted without persistence):
          // recreate from the stream's start so nothing published since is missed.
          const { name, key } = this.settings;
          this.ctx.logger.warn({ durable: name, stream: key }, 'Redis bus: consumer group was gone; recreated it');
          await this.ensureGroup('0').catch(() => undefined);
        } else {
          this.errorLog.write({ durable: this.settings.name, error: message }, 'Redis bus: durable read failed; retrying');
          await this.pause(this.settings.retryDelayMs);
        }
        // After any failure, start again from our pending entries: a read that was
        // answered but never reached us left its entries there.
        cursor = '0';
      }
    }
  }

  private read(cursor: string, block: boolean): Promise<unknown> {
    const { key, name, readBatch, blockMs } = this.settings;
    const args: Array<string | number> = ['GROUP', name, name, 'COUNT', readBatch];
    if (block) args.push('BLOCK', blockMs);
    args.push('STREAMS', key, cursor);
    return this.command('XREADGROUP', ...args);
  }

  private command(name: string, ...args: Array<string | number>): Promise<unknown> {
    return Promise.race([this.conn.call(name, ...args), this.aborted]);
  }

  /** Delivers a batch in order; returns the id of the last entry handled. */
  private async handle(entries: StreamEntry[]): Promise<string | undefined> {
    const { key, name, filter, handler } = this.settings;
    const handled: string[] = [];
    for (const [id, fields] of entries) {
      if (this.stopping) break;
      const topic = field(fields, 't');
      const data = field(fields, 'd');
      if (fields === null) {
        // Trimmed by MAXLEN before we got to it: the bound was exceeded while we were away.
        this.ctx.dropped(`stream ${key} for durable ${name}`);
      } else if (topic === undefined || data === undefined) {
        this.ctx.malformed(topic ?? key, `stream entry ${id} lacks the t (topic) or d (data) field`);
      } else if (filter.matches(topic)) {
        const envelope = this.ctx.decode(topic, data);
        if (envelope) {
          this.inHand = this.ctx.invoke(handler, envelope, topic);
          await this.inHand;
        }
      }
      handled.push(id);
    }
    if (handled.length > 0) await this.command('XACK', key, name, ...handled);
    return handled[handled.length - 1];
  }

  private async ensureGroup(start: '$' | '0'): Promise<void> {
    try {
      await this.command('XGROUP', 'CREATE', this.settings.key, this.settings.name, start, 'MKSTREAM');
    } catch (err) {
      if (!(err instanceof Error && err.message.includes('BUSYGROUP'))) throw err;
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

function field(fields: string[] | null, name: string): string | undefined {
  if (!fields) return undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}
