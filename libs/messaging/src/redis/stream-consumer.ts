import { ErrorKind, withTimeout } from '@gw/contracts';
import type { DeliveryContext } from '../delivery';
import { ThrottledLog } from '../logger';
import type { MessageHandler, MessageLimit } from '../message-bus';
import type { TopicFilter } from '../topic-filter';
import { closeConnection, RedisConnection } from './connection';

export interface StreamConsumerSettings {
  /** The durable name: consumer group and consumer both. */
  name: string;
  key: string;
  filter: TopicFilter;
  handler: MessageHandler;
  /** Checked before a message is decoded. */
  limit?: MessageLimit;
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
  /** The handler call in progress. */
  private inHand: Promise<void> = Promise.resolve();
  /** The batch in progress, up to and including its XACK. */
  private batch: Promise<unknown> = Promise.resolve();
  private loop?: Promise<void>;
  private wake?: () => void;
  private readonly errorLog: ThrottledLog;

  constructor(
    private readonly conn: RedisConnection,
    private readonly settings: StreamConsumerSettings,
    private readonly ctx: DeliveryContext,
  ) {
    this.errorLog = new ThrottledLog((o, m) => ctx.logger.warn(o, m));
  }

  /** Creates the group at the stream's end the first time: a new subscriber starts with new events. */
  async start(): Promise<void> {
    await this.ensureGroup('$');
    this.loop = this.run();
  }

  /** Finishes the entry in hand and leaves the rest pending in the group for next time. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.inHand;
    // Acknowledges what was handled, unless Redis is away: then the entries stay
    // pending and come again (at least once), rather than close() waiting for Redis.
    if (this.conn.isReady) {
      const acked = withTimeout(this.batch, ACK_GRACE_MS, `Redis bus: durable "${this.settings.name}": XACK of the batch in hand`, {
        kind: ErrorKind.Communication,
      });
      await acked.catch((err: unknown) => {
        const error = err instanceof Error ? err.message : String(err);
        this.ctx.logger.warn({ durable: this.settings.name, error }, 'Redis bus: durable stopped with its last batch unacknowledged; those entries come again');
      });
    }
    // Cuts short a blocking read, or any command parked in the offline queue during an outage.
    closeConnection(this.conn);
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
        const batch = this.handle(entries);
        this.batch = batch;
        const lastHandled = await batch;
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

  /** The raw reply: node-redis's typed xReadGroup cannot represent an entry trimmed away (nil fields). */
  private read(cursor: string, block: boolean): Promise<unknown> {
    const { key, name, readBatch, blockMs } = this.settings;
    const args = ['XREADGROUP', 'GROUP', name, name, 'COUNT', String(readBatch)];
    if (block) args.push('BLOCK', String(blockMs));
    args.push('STREAMS', key, cursor);
    return this.conn.sendCommand(args);
  }

  /** Delivers a batch in order; returns the id of the last entry handled. */
  private async handle(entries: StreamEntry[]): Promise<string | undefined> {
    const { key, name, filter, handler, limit } = this.settings;
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
        const envelope = this.ctx.decode(topic, data, limit);
        if (envelope) {
          this.inHand = this.ctx.invoke(handler, envelope, topic);
          await this.inHand;
        }
      }
      handled.push(id);
    }
    if (handled.length > 0) await this.conn.xAck(key, name, handled);
    return handled[handled.length - 1];
  }

  private async ensureGroup(start: '$' | '0'): Promise<void> {
    try {
      await this.conn.xGroupCreate(this.settings.key, this.settings.name, start, { MKSTREAM: true });
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

/** How long stop() waits for the XACK of the batch in hand while Redis is connected. */
const ACK_GRACE_MS = 1_000;

function field(fields: string[] | null, name: string): string | undefined {
  if (!fields) return undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}
