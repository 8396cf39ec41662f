import { delay, ErrorKind, systemClock, withTimeout } from '@gw/contracts';
import type { DeliveryContext } from '../delivery';
import { InFlightWindow } from '../in-flight';
import { ThrottledLog } from '../logger';
import type { MessageHandler, MessageLimit } from '../message-bus';
import type { TopicFilter } from '../topic-filter';
import { closeConnection, describe, lostInFlight, RedisConnection } from './connection';

export interface StreamConsumerSettings {
  /** The durable name: consumer group and consumer both. */
  name: string;
  key: string;
  filter: TopicFilter;
  handler: MessageHandler;
  /** Checked before a message is decoded. */
  limit?: MessageLimit;
  /** Entries handed to the handler and not yet acknowledged, at most. */
  maxInFlight: number;
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
 * connection, readBatch entries per read. Entries go to the handler in stream
 * order, up to maxInFlight not yet settled at once; each is acknowledged
 * (XACK, several ids per call) once its own handler settled, so delivery is
 * at least once. The XACKs go over `acks` (the bus's command connection): on
 * the reading connection they would wait behind a blocking read.
 */
export class RedisStreamConsumer {
  private stopping = false;
  private readonly window: InFlightWindow;
  /** Read and not yet acknowledged: a re-read of the pending list never hands these out twice. */
  private readonly held = new Set<string>();
  /** Settled, waiting for the next XACK. */
  private toAck: string[] = [];
  private ackScheduled = false;
  /** XACKs sent and not yet answered. */
  private readonly acking = new Set<Promise<void>>();
  private loop?: Promise<void>;
  /** Aborted by stop(): ends a wait for room in the window or a pause before retrying. */
  private readonly halting = new AbortController();
  private readonly errorLog: ThrottledLog;

  constructor(
    private readonly conn: RedisConnection,
    private readonly acks: RedisConnection,
    private readonly settings: StreamConsumerSettings,
    private readonly ctx: DeliveryContext,
  ) {
    this.window = new InFlightWindow(settings.maxInFlight, ctx.stats);
    this.errorLog = new ThrottledLog((o, m) => ctx.logger.warn(o, m));
  }

  /** Creates the group at the stream's end the first time: a new subscriber starts with new events. */
  async start(): Promise<void> {
    await this.ensureGroup('$');
    this.loop = this.run();
  }

  /**
   * Hands out nothing more, waits for the entries in hand and acknowledges
   * them; entries read but not handed out stay pending in the group for next time.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.halting.abort();
    await this.window.idle();
    // Unless Redis is away: then the entries stay pending and come again (at
    // least once), rather than close() waiting for Redis.
    const acked = this.acks.isReady
      ? withTimeout(this.flushAcks(), ACK_GRACE_MS, `Redis bus: durable "${this.settings.name}": XACK of the entries in hand`, {
          kind: ErrorKind.Communication,
        })
      : this.toAck.length + this.acking.size > 0
        ? Promise.reject(new Error('Redis is not connected'))
        : Promise.resolve();
    await acked.catch((err: unknown) => {
      const error = err instanceof Error ? err.message : String(err);
      this.ctx.logger.warn({ durable: this.settings.name, error }, 'Redis bus: durable stopped with entries unacknowledged; those entries come again');
    });
    // Cuts short a blocking read, or any command parked in the offline queue during an outage.
    closeConnection(this.conn);
    await this.loop;
  }

  private async run(): Promise<void> {
    // '0' = our pending entries list (then the id of the last one read); '>' = entries never delivered to the group.
    let cursor = '0';
    while (!this.stopping) {
      try {
        await this.window.room(this.halting.signal);
        if (this.stopping) break;
        const reading = cursor === '>';
        const reply = (await this.read(cursor, reading)) as ReadReply;
        const entries = reply?.[0]?.[1] ?? [];
        if (!reading) {
          if (entries.length === 0) {
            cursor = '>';
            continue;
          }
          cursor = entries[entries.length - 1][0];
        }
        await this.handOut(entries);
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
          await delay(this.settings.retryDelayMs, systemClock, this.halting.signal);
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

  /** Hands the entries of one read to the handler in order, waiting for room in the window as it goes. */
  private async handOut(entries: StreamEntry[]): Promise<void> {
    const { key, name, filter, handler, limit } = this.settings;
    for (const [id, fields] of entries) {
      // Still in hand from before a failed read, or its XACK is on its way.
      if (this.held.has(id)) continue;
      await this.window.room(this.halting.signal);
      // The rest stays pending in the group.
      if (this.stopping) return;
      this.held.add(id);
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
          this.window.hand(
            () => this.ctx.invoke(handler, envelope, topic, true),
            // Handed back: it stays pending in the group, read again by the next session (from 0).
            (acknowledge) => (acknowledge ? this.acknowledge(id) : this.held.delete(id)),
          );
          continue;
        }
      }
      this.acknowledge(id);
    }
  }

  /** Queues `id` for the XACK sent once this turn of the event loop is over, with every other id settled meanwhile. */
  private acknowledge(id: string): void {
    this.toAck.push(id);
    if (this.ackScheduled) return;
    this.ackScheduled = true;
    setImmediate(() => {
      this.ackScheduled = false;
      void this.sendAcks();
    });
  }

  private sendAcks(): Promise<void> {
    const ids = this.toAck;
    if (ids.length === 0) return Promise.resolve();
    this.toAck = [];
    const { key, name } = this.settings;
    const sent: Promise<void> = this.acks
      .xAck(key, name, ids)
      .then(
        () => {
          this.ctx.stats.acknowledged += ids.length;
          for (const id of ids) this.held.delete(id);
        },
        (err: unknown) => {
          if (lostInFlight(err) && !this.stopping) {
            // Sent again: it waits in the offline queue for the reconnect.
            this.toAck.push(...ids);
            void this.sendAcks();
            return;
          }
          // Left pending (Redis answered with an error, or we are closing): they come again next time.
          for (const id of ids) this.held.delete(id);
          if (this.stopping) return; // stop() says so
          this.errorLog.write({ durable: name, entries: ids.length, error: describe(err) }, 'Redis bus: XACK failed; those entries come again');
        },
      )
      .finally(() => this.acking.delete(sent));
    this.acking.add(sent);
    return sent;
  }

  /** Sends what is queued and waits for every XACK on its way. */
  private async flushAcks(): Promise<void> {
    void this.sendAcks();
    while (this.acking.size > 0) await Promise.all([...this.acking]);
  }

  /** Resolves once an entry may be handed out, or at once when stopping. */

  private async ensureGroup(start: '$' | '0'): Promise<void> {
    try {
      await this.conn.xGroupCreate(this.settings.key, this.settings.name, start, { MKSTREAM: true });
    } catch (err) {
      if (!(err instanceof Error && err.message.includes('BUSYGROUP'))) throw err;
    }
  }

}

/** How long stop() waits for the XACK of the batch in hand while Redis is connected. */
const ACK_GRACE_MS = 1_000;

function field(fields: string[] | null, name: string): string | undefined {
  if (!fields) return undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}
