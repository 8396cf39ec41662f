import { getEventListeners } from 'node:events';
import { types } from 'node:util';
import type { createClient } from 'redis';
import { ErrorKind, GatewayError, redactUrl } from '@gw/contracts';
import { BusConnectionOptions, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_RECONNECT_PERIOD_MS } from '../options';
import { tlsRefusal } from '../tls';

/** A node-redis client (the `redis` package, v5). */
export type RedisConnection = ReturnType<typeof createClient>;

/** What one TCP/TLS connection attempt may take at most; connectTimeoutMs bounds the whole first connect. */
const MAX_ATTEMPT_TIMEOUT_MS = 10_000;

/** Answers to the handshake that no retry will change: wrong credentials or no permission. */
const REFUSAL = /^(WRONGPASS|NOAUTH|NOPERM)\b|^ERR\b.*\b(password|AUTH)\b/;

let loaded: typeof import('redis') | undefined;

interface ConnectionMeta {
  /** Aborts a connection attempt under way, which node-redis's destroy() does not reach. */
  attempt: AbortController;
  /** The pause between two attempts. */
  retryMs: number;
  closed?: boolean;
  /** Ends a connectWithin under way. */
  onClose?: () => void;
}
const metas = new WeakMap<RedisConnection, ConnectionMeta>();

/**
 * node-redis (about 550 modules with its bundled Redis Stack modules) is
 * loaded by the first Redis connection, so a gateway on the in-process or
 * MQTT bus never pays for it.
 */
function redis(): typeof import('redis') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose, see above
  return (loaded ??= require('redis') as typeof import('redis'));
}

/** Makes the connections of one bus; `role` names each in CLIENT LIST. */
export type ConnectionFactory = (role: string) => RedisConnection;

/**
 * Connections that, once ready, reconnect forever at a fixed period and keep
 * commands queued meanwhile (node-redis's offline queue): bounding what waits
 * is the bus's job (PublishQueue), not the client's. Until the first 'ready'
 * node-redis does not retry: connectWithin does, on its own clock, so giving
 * up leaves no timer behind.
 *
 * Every connection is a duplicate() of one unconnected template: createClient
 * builds a client class with every command of the bundled modules (a few
 * hundred ms of CPU) each time its options differ from the previous call's,
 * and a per-connection name or socket option would make them differ each time.
 */
export function connectionFactory(options: BusConnectionOptions): ConnectionFactory {
  const period = options.reconnectPeriodMs ?? DEFAULT_RECONNECT_PERIOD_MS;
  const connectTimeout = Math.min(MAX_ATTEMPT_TIMEOUT_MS, options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
  const tls = options.tls;
  const template = redis().createClient({
    // TLS settings on a redis:// URL mean TLS (node-redis refuses a scheme that disagrees with socket.tls).
    url: tls ? options.url.replace(/^redis:/i, 'rediss:') : options.url,
    ...(options.username !== undefined ? { username: options.username } : {}),
    ...(options.password !== undefined ? { password: options.password } : {}),
  });
  return (role) => {
    let everReady = false;
    const attempt = new AbortController();
    const common = {
      connectTimeout,
      reconnectStrategy: () => (everReady && conn.isOpen ? period : false),
    };
    const conn: RedisConnection = template.duplicate({
      name: `${options.clientId ?? 'gw'}:${role}`.replace(/\s/g, '_'),
      socket: tls
        ? { ...common, tls: true, ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: tls.rejectUnauthorized ?? true }
        : // Handed to every socket the client creates, so closeConnection can end one still connecting
          // (tls.connect ignores a signal: a TLS attempt under way ends at connectTimeout instead).
          { ...common, signal: attempt.signal },
    });
    conn.once('ready', () => (everReady = true));
    // node-redis emits 'error' when an attempt has failed (before it starts the next) and 'ready' once connected.
    conn.on('error', () => releaseAttempt(attempt.signal)).on('ready', () => releaseAttempt(attempt.signal));
    metas.set(conn, { attempt, retryMs: period });
    return conn;
  };
}

/**
 * Node 20 keeps the abort listener each socket adds to its signal, and the
 * socket with it, until the signal fires: one per attempt, for the life of
 * the connection (an outage at one attempt a second: 3,600 dead sockets an
 * hour). Only a socket still connecting needs it (closeConnection aborts
 * that one; destroy() reaches a connected one), so it goes when the attempt
 * has failed or connected. The signal is the connection's own: every listener
 * on it is a socket's.
 */
function releaseAttempt(signal: AbortSignal): void {
  for (const listener of getEventListeners(signal, 'abort')) signal.removeEventListener('abort', listener as (event: Event) => void);
}

/**
 * Connects, retrying every reconnectPeriodMs, and fails with a Communication
 * error naming the (redacted) URL and the last problem when the first 'ready'
 * has not come `timeoutMs` after `startedAt`, or at once when Redis refuses
 * the credentials or the TLS handshake fails for good. The caller must
 * listen for 'error' (node-redis emits one per failed attempt, and throws it
 * when nobody listens).
 */
export async function connectWithin(conn: RedisConnection, timeoutMs: number, url: string, startedAt = Date.now()): Promise<void> {
  const meta: ConnectionMeta = metas.get(conn) ?? { attempt: new AbortController(), retryMs: DEFAULT_RECONNECT_PERIOD_MS };
  let lastError = 'no answer';
  let gaveUp = false;
  let deadline: NodeJS.Timeout | undefined;
  let pause: { timer: NodeJS.Timeout; resolve: () => void } | undefined;
  const attempts = async (): Promise<void> => {
    for (;;) {
      if (gaveUp) return;
      try {
        await conn.connect();
        return;
      } catch (err) {
        if (gaveUp) return;
        lastError = describe(err);
        const tls = tlsRefusal(err);
        if (REFUSAL.test(lastError) || tls) {
          const why = tls ? `Redis bus ${redactUrl(url)}: ${tls}` : `Redis bus: ${redactUrl(url)} refused the connection: ${lastError}`;
          throw new GatewayError(ErrorKind.Communication, why, { cause: err });
        }
      }
      await new Promise<void>((resolve) => (pause = { timer: setTimeout(resolve, meta.retryMs), resolve }));
    }
  };
  try {
    await Promise.race([
      attempts(),
      // Closed meanwhile, e.g. by the bus because its other connection failed.
      new Promise<never>((_, reject) => {
        const why = `Redis bus: closed while connecting to ${redactUrl(url)}`;
        const closed = () => reject(new GatewayError(ErrorKind.Communication, why));
        if (meta.closed) closed();
        else meta.onClose = closed;
      }),
      new Promise<never>((_, reject) => {
        deadline = setTimeout(() => {
          const why = `Redis bus: no connection to ${redactUrl(url)} within ${timeoutMs} ms (${lastError})`;
          reject(new GatewayError(ErrorKind.Communication, why));
        }, Math.max(0, startedAt + timeoutMs - Date.now()));
      }),
    ]);
  } catch (err) {
    gaveUp = true;
    if (pause) {
      clearTimeout(pause.timer);
      pause.resolve();
    }
    closeConnection(conn);
    throw err;
  } finally {
    clearTimeout(deadline);
    meta.onClose = undefined;
  }
}

/**
 * Closes at once, failing whatever is still queued: the bus drains its
 * publishes first, and a blocking read or a command parked during an outage
 * must not hold the socket (or the process) open. node-redis's close() waits
 * for every pending reply, without a bound, and its destroy() does not reach
 * a socket that is still connecting (which would then come up, unowned): the
 * abort does. What may remain after a close during an outage is node-redis's
 * wait between two reconnect attempts, at most reconnectPeriodMs, after which
 * the client ends by itself.
 */
export function closeConnection(conn: RedisConnection): void {
  if (conn.isOpen) conn.destroy();
  const meta = metas.get(conn);
  if (!meta) return;
  meta.closed = true;
  meta.attempt.abort();
  meta.onClose?.();
}

/**
 * True for a command that failed because its connection dropped after it was
 * written (the client reconnects and the command may be sent again), not
 * because Redis answered with an error or the client was closed.
 */
export function lostInFlight(err: unknown): boolean {
  const { SocketClosedUnexpectedlyError, SocketTimeoutError } = redis();
  if (err instanceof SocketClosedUnexpectedlyError || err instanceof SocketTimeoutError) return true;
  // A socket error from Node: ECONNRESET, EPIPE, ETIMEDOUT...
  const code = (err as { code?: unknown } | undefined)?.code;
  return isError(err) && typeof code === 'string' && /^E[A-Z]+$/.test(code);
}

/** An Error from any realm: under Jest, Node's own socket errors are not `instanceof` the test's Error. */
function isError(err: unknown): err is Error {
  return err instanceof Error || types.isNativeError(err);
}

/** An error's message, or its code when Node gives none (an AggregateError from a dual-stack connect). */
export function describe(err: unknown): string {
  if (!isError(err)) return String(err);
  if (err.message) return err.message;
  const code = (err as { code?: unknown }).code;
  const errors = (err as { errors?: unknown }).errors; // an AggregateError, of any realm
  const inner = Array.isArray(errors) ? errors.map(describe).join('; ') : '';
  return inner || (typeof code === 'string' ? code : err.name);
}
