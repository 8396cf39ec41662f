import Redis from 'ioredis';
import { ErrorKind, GatewayError } from '@gw/contracts';
import { redactUrl } from '../logger';
import { BusConnectionOptions, DEFAULT_RECONNECT_PERIOD_MS } from '../options';

/**
 * A connection that retries forever at a fixed period and keeps commands
 * queued meanwhile: bounding what waits is the bus's job (PublishQueue), not
 * ioredis's per-command retry count.
 */
export function createConnection(options: BusConnectionOptions, role: string): Redis {
  const period = options.reconnectPeriodMs ?? DEFAULT_RECONNECT_PERIOD_MS;
  const tls = options.tls;
  return new Redis(options.url, {
    lazyConnect: true,
    maxRetriesPerRequest: null,
    retryStrategy: () => period,
    // A connection cut during a blocking read otherwise lingers 2 s before ioredis destroys it.
    disconnectTimeout: 200,
    connectionName: `${options.clientId ?? 'gw'}:${role}`.replace(/\s/g, '_'),
    ...(options.username !== undefined ? { username: options.username } : {}),
    ...(options.password !== undefined ? { password: options.password } : {}),
    ...(tls ? { tls: { ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: tls.rejectUnauthorized ?? true } } : {}),
  });
}

/** Waits for the first 'ready'; a refused first attempt is retried by ioredis until the deadline. */
export async function connectWithin(conn: Redis, timeoutMs: number, url: string): Promise<void> {
  let lastError = 'no answer';
  let timer: NodeJS.Timeout | undefined;
  const onError = (err: Error) => (lastError = err.message);
  conn.on('error', onError);
  conn.connect().catch(() => undefined);
  try {
    await Promise.race([
      new Promise<void>((resolve) => conn.once('ready', () => resolve())),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const why = `Redis bus: no connection to ${redactUrl(url)} within ${timeoutMs} ms (${lastError})`;
          reject(new GatewayError(ErrorKind.Communication, why));
        }, timeoutMs);
      }),
    ]);
  } catch (err) {
    conn.disconnect();
    throw err;
  } finally {
    clearTimeout(timer);
    conn.off('error', onError);
  }
}

/** Closes politely when possible, at once when the server is gone. */
export async function closeConnection(conn: Redis): Promise<void> {
  if (conn.status === 'ready') {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([conn.quit().catch(() => undefined), new Promise((r) => (timer = setTimeout(r, 1_000)))]);
    clearTimeout(timer);
  }
  conn.disconnect();
}
