import { DeliveryContext } from '../delivery';
import type { BusLogger } from '../logger';
import { compileTopicFilter } from '../topic-filter';
import type { RedisConnection } from './connection';
import { RedisStreamConsumer } from './stream-consumer';

/**
 * Just enough of a node-redis connection for one consumer: one pending entry
 * on the first read, then a blocking read that only destroy() ends; XACK
 * answers at once, or never (Redis connected but silent).
 */
class FakeConnection {
  isReady = true;
  isOpen = true;
  acks: string[][] = [];
  private reads = 0;
  private readonly hanging: Array<(err: Error) => void> = [];

  constructor(private readonly ackAnswers: boolean) {}

  async xGroupCreate(): Promise<void> {}

  sendCommand(): Promise<unknown> {
    // An entry whose topic the filter does not take: handled (skipped) and acknowledged all the same.
    if (this.reads++ === 0) return Promise.resolve([['gw:stream:a/b', [['1-0', ['t', 'other/topic', 'd', '{}']]]]]);
    return this.hang();
  }

  xAck(_key: string, _group: string, ids: string[]): Promise<number> {
    this.acks.push(ids);
    return this.ackAnswers ? Promise.resolve(ids.length) : this.hang();
  }

  destroy(): void {
    this.isOpen = false;
    this.isReady = false;
    for (const fail of this.hanging.splice(0)) fail(new Error('destroyed'));
  }

  private hang<T>(): Promise<T> {
    return new Promise<T>((_, reject) => this.hanging.push(reject));
  }
}

function capture(): BusLogger & { warnings: Array<{ obj: Record<string, unknown>; msg?: string }> } {
  const warnings: Array<{ obj: Record<string, unknown>; msg?: string }> = [];
  return { warnings, info: () => undefined, warn: (obj, msg) => warnings.push({ obj, msg }), error: () => undefined };
}

async function consumerOn(conn: FakeConnection, logger: BusLogger): Promise<RedisStreamConsumer> {
  const consumer = new RedisStreamConsumer(
    conn as unknown as RedisConnection,
    // The same fake answers the XACKs, which the bus sends over its command connection.
    conn as unknown as RedisConnection,
    {
      name: 'd1',
      key: 'gw:stream:a/b',
      filter: compileTopicFilter('a/b/#'),
      handler: async () => undefined,
      maxInFlight: 1,
      readBatch: 10,
      blockMs: 5_000,
      retryDelayMs: 1_000,
    },
    new DeliveryContext(logger),
  );
  await consumer.start();
  while (conn.acks.length === 0) await new Promise((resolve) => setImmediate(resolve));
  return consumer;
}

describe('RedisStreamConsumer.stop', () => {
  it('acknowledges what was read, and says nothing', async () => {
    const conn = new FakeConnection(true);
    const logger = capture();
    const consumer = await consumerOn(conn, logger);
    await consumer.stop();
    expect(conn.acks).toEqual([['1-0']]);
    expect(logger.warnings).toEqual([]);
  });

  it('waits 1 s at most for an XACK Redis does not answer, then says those entries come again', async () => {
    const conn = new FakeConnection(false);
    const logger = capture();
    const consumer = await consumerOn(conn, logger);
    const started = Date.now();
    await consumer.stop();
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(logger.warnings).toEqual([
      {
        obj: { durable: 'd1', error: 'Redis bus: durable "d1": XACK of the entries in hand: no answer within 1000 ms' },
        msg: 'Redis bus: durable stopped with entries unacknowledged; those entries come again',
      },
    ]);
    expect(conn.isOpen).toBe(false);
  });
});
