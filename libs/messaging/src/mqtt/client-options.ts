import type { IClientOptions, MqttClient } from 'mqtt';
import { ErrorKind, GatewayError, withTimeout } from '@gw/contracts';
import { BusConnectionOptions, DEFAULT_RECONNECT_PERIOD_MS } from '../options';
import { tlsRefusal } from '../tls';

export interface MqttBusOptions extends BusConnectionOptions {
  keepaliveSec?: number;
  /**
   * How long the broker keeps a durable subscriber's session (and queue) while
   * it is away. Defaults to "never expires", the MQTT 3.1.1 clean=false meaning.
   */
  sessionExpirySec?: number;
  /** Wait for SUBACK/UNSUBACK before reporting the broker unreachable. */
  operationTimeoutMs?: number;
}

export const NEVER_EXPIRES = 0xffffffff;

/** Connection options shared by the main client and the durable-subscriber clients. */
export function baseClientOptions(options: MqttBusOptions): IClientOptions {
  const tls = options.tls;
  return {
    // MQTT 5 for subscription identifiers (exact routing) and session expiry.
    protocolVersion: 5,
    username: options.username,
    password: options.password,
    keepalive: options.keepaliveSec ?? 30,
    reconnectPeriod: options.reconnectPeriodMs ?? DEFAULT_RECONNECT_PERIOD_MS,
    connectTimeout: 10_000,
    resubscribe: true,
    // mqtt.js otherwise pre-builds 65,536 two-byte Buffers (about 6 MB of heap, for the life of the process).
    writeCache: false,
    ...(tls ? { ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: tls.rejectUnauthorized ?? true } : {}),
  };
}

/**
 * Resolves on the first CONNACK. Network errors are retried by mqtt.js until
 * the deadline; a refusal by the broker (bad credentials, banned id) or a
 * failed TLS handshake (certificate not trusted) is final.
 */
export function waitForConnect(client: MqttClient, timeoutMs: number, what: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let lastError = 'no answer';
    const cleanup = () => {
      clearTimeout(timer);
      client.off('connect', onConnect);
      client.off('error', onError);
    };
    const onConnect = () => {
      cleanup();
      resolve();
    };
    const onError = (err: Error & { code?: unknown }) => {
      lastError = err.message;
      const refused =
        typeof err.code === 'number' ? `broker refused the connection: ${err.message}` : tlsRefusal(err);
      if (refused) {
        cleanup();
        reject(new GatewayError(ErrorKind.Communication, `${what}: ${refused}`, { cause: err }));
      }
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new GatewayError(ErrorKind.Communication, `${what}: no connection to the broker within ${timeoutMs} ms (${lastError})`));
    }, timeoutMs);
    client.on('connect', onConnect);
    client.on('error', onError);
  });
}

/** Ends a client for good, without waiting for acknowledgements that may never come. */
export async function endClient(client: MqttClient, graceful: boolean): Promise<void> {
  // With manualConnect, mqtt.js forgets it is ending once end() is done, and a
  // stream that closes after that (a refused TLS handshake) would schedule a reconnect.
  client.options.reconnectPeriod = 0;
  await withTimeout(client.endAsync(!graceful || !client.connected), 2_000, 'disconnect').catch(() => client.end(true));
}

/** A SUBACK reason code of 0x80 or more means the broker refused the subscription. */
export function assertGranted(granted: Array<{ topic: string; qos: number }>, filter: string): void {
  const refused = granted.find((g) => g.qos >= 0x80);
  if (refused) {
    const code = `0x${refused.qos.toString(16)}`;
    throw new GatewayError(ErrorKind.Communication, `broker refused the subscription to "${filter}" (reason code ${code})`);
  }
}
