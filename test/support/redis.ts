/**
 * A plain Redis client for tests, beside the bus under test: node-redis, the
 * same client the bus uses, so the project has one. It fails instead of
 * retrying when Redis is unreachable, and never crashes the run with an
 * unhandled 'error' event.
 */
import { createClient } from 'redis';

export type RawRedis = ReturnType<typeof createClient>;

export async function rawRedis(url: string): Promise<RawRedis> {
  const client = createClient({ url, socket: { reconnectStrategy: false } });
  client.on('error', () => undefined); // connect() and each command reject with it
  await client.connect();
  return client;
}

/** Deletes every key under `prefix` (SCAN, not KEYS: the machine's Redis is shared). */
export async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const client = await rawRedis(url);
  try {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
      if (keys.length) await client.del(keys);
    }
  } finally {
    client.destroy();
  }
}
