/**
 * How every sink reaches an MQTT broker (MQTT, AWS IoT shadow, Azure IoT Hub):
 * one long-lived client per connection, TLS from the sink's settings,
 * reconnect forever (a password function is asked again for every attempt),
 * topic filters resubscribed after every connect, and a `connected` flag that
 * is true only once those subscriptions are granted, so a caller never
 * publishes a request whose reply it could not receive.
 *
 * mqtt.js keeps every QoS 1/2 publish that has no PUBACK yet in its outgoing
 * store and sends it again after a reconnect, clean session or not. Callers
 * here retry through the outbox and resend state, so a publish that timed out
 * or was in flight when the connection dropped is taken out of that store
 * (and failed): replayed later, a stale shadow update could overwrite newer
 * state, and telemetry would go out once more than the outbox sends it.
 */
import mqtt, { IClientOptions, IClientPublishOptions, ISubscriptionMap, MqttClient, PacketCallback } from 'mqtt';
import { systemClock, withTimeout } from '@gw/contracts';
import { ConnectionErrorKind, describeConnectionError } from './connection-error';
import type { ConnectionStatus, SinkLogger } from './sink';
import { TlsOptions, warnIfInsecure } from './tls';

export interface MqttConnectionOptions {
  /** Sink name, for logs and errors. */
  name: string;
  /** Added to every log line (e.g. the twin of one of a sink's connections). */
  logFields?: Record<string, unknown>;
  /** mqtt://, mqtts://, ws:// or wss://; TLS settings apply to mqtts:// and wss:// only. */
  url: string;
  clientId: string;
  username?: string;
  /** A function is called again before every reconnect (credentials that expire, e.g. an Azure SAS token). */
  password?: string | (() => string);
  /** Used for mqtts:// and wss:// only. */
  tls?: TlsOptions;
  /** Filter → QoS, subscribed after every connect (the session is clean). */
  subscriptions?: Record<string, 0 | 1 | 2>;
  /** 4 (MQTT 3.1.1, the default: what every cloud broker speaks) or 5. */
  protocolVersion?: 4 | 5;
  keepaliveSec?: number;
  reconnectPeriodMs?: number;
  connectTimeoutMs?: number;
  /** Bound on waiting for a PUBACK or SUBACK. */
  operationTimeoutMs?: number;
  logger: SinkLogger;
  /**
   * Largest incoming message handed to the listeners (MQTT 3.1.1 agrees no
   * limit with the broker): a larger one is dropped, counted, and told to
   * onOversized (else logged, the first and every 100th).
   */
  maxIncomingBytes?: number;
  onOversized?: (topic: string, bytes: number) => void;
  /** mqtt.connect, or a wrapper (tests record what a sink presents to the broker, or fake the client). */
  connect?: (url: string, options: IClientOptions) => MqttClient;
}

export type MessageListener = (topic: string, payload: Buffer) => void;

/** Twin documents are kilobytes (AWS shadows at most 8 KB of state, Azure desired properties 32 KB): 256 KiB leaves room. */
export const MAX_INCOMING_BYTES = 256 * 1024;

const DEFAULTS = { keepaliveSec: 30, reconnectPeriodMs: 2_000, connectTimeoutMs: 10_000, operationTimeoutMs: 10_000 };

export class MqttConnection {
  /** Incoming messages dropped for their size (maxIncomingBytes). */
  oversizedMessages = 0;
  private client?: MqttClient;
  private ready = false;
  private stopped = false;
  private lastErrorMessage?: string;
  /** The last failure (kept after a later success, so an operator sees what went wrong and when). */
  private lastFailure?: ConnectionStatus['lastError'];
  private lastConnectedAt?: number;
  private recycleTimer?: NodeJS.Timeout;
  private readonly messageListeners = new Set<MessageListener>();
  private readonly upListeners = new Set<() => void>();
  private readonly downListeners = new Set<() => void>();
  private readonly clientOptions: IClientOptions;
  /** Sink, extra log fields and endpoint: what every log line says. */
  private readonly where: Record<string, unknown>;

  constructor(private readonly options: MqttConnectionOptions) {
    this.clientOptions = clientOptionsOf(options);
    this.where = { ...options.logFields, endpoint: this.endpoint };
  }

  /** Connected and subscribed, as far as this client knows. */
  get connected(): boolean {
    return this.ready;
  }

  /** Why the last connection attempt failed, until the next connect succeeds. */
  get lastError(): string | undefined {
    return this.lastErrorMessage;
  }

  /** What /api/v3/exports and the metrics show about this connection. */
  status(): ConnectionStatus {
    return { connected: this.ready, lastError: this.lastFailure, lastConnectedAt: this.lastConnectedAt };
  }

  /** Host and port, for messages (never the credentials). */
  get endpoint(): string {
    try {
      const url = new URL(this.options.url);
      return `${url.protocol}//${url.host}`;
    } catch {
      return '(invalid url)';
    }
  }

  onMessage(listener: MessageListener): () => void {
    this.messageListeners.add(listener);
    return () => this.messageListeners.delete(listener);
  }

  /** Called after every connect once the subscriptions are granted. */
  onUp(listener: () => void): () => void {
    this.upListeners.add(listener);
    return () => this.upListeners.delete(listener);
  }

  /** Called when an established connection is lost. */
  onDown(listener: () => void): () => void {
    this.downListeners.add(listener);
    return () => this.downListeners.delete(listener);
  }

  /**
   * Starts connecting and resolves after the first attempt, whether it
   * succeeded or not: an unreachable broker is reported by `connected` and
   * retried in the background, never thrown.
   */
  async start(): Promise<void> {
    if (this.client) return;
    const { logger } = this.options;
    const client = (this.options.connect ?? mqtt.connect)(this.options.url, this.clientOptions);
    this.client = client;

    const firstAttempt = new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.upListeners.delete(done);
        client.off('close', done);
        resolve();
      };
      const timer = setTimeout(done, this.clientOptions.connectTimeout ?? DEFAULTS.connectTimeoutMs);
      this.upListeners.add(done);
      client.once('close', done);
    });

    client.on('connect', () => void this.subscribeAll(client));
    client.on('close', () => {
      abandonInFlight(client);
      if (!this.ready) return;
      this.ready = false;
      if (!this.stopped) logger.warn(this.where, 'MQTT connection lost; reconnecting');
      for (const listener of [...this.downListeners]) listener();
    });
    client.on('error', (err) => {
      const { kind, message } = describeConnectionError(err, this.endpoint);
      this.failed(kind, message);
      // mqtt.js retries every reconnectPeriod: log a failure once, not every attempt.
      if (message === this.lastErrorMessage) return;
      this.lastErrorMessage = message;
      logger.warn({ ...this.where, error: message, reason: kind }, 'MQTT connection failed; retrying');
    });
    client.on('reconnect', () => {
      if (typeof this.options.password === 'function') client.options.password = this.options.password();
    });
    const maxIncoming = this.options.maxIncomingBytes ?? MAX_INCOMING_BYTES;
    client.on('message', (topic, payload) => {
      if (payload.length > maxIncoming) {
        this.oversizedMessages++;
        if (this.options.onOversized) this.options.onOversized(topic, payload.length);
        else if (this.oversizedMessages % 100 === 1) {
          logger.warn({ ...this.where, topic, bytes: payload.length, limit: maxIncoming, droppedTotal: this.oversizedMessages }, 'MQTT message larger than the sink reads: dropped');
        }
        return;
      }
      for (const listener of this.messageListeners) listener(topic, payload);
    });
    await firstAttempt;
  }

  /** Publishes; rejects when not connected or without PUBACK within the operation timeout (and then never sends it again). */
  async publish(topic: string, payload: string | Buffer, options: IClientPublishOptions = { qos: 1 }): Promise<void> {
    const client = this.client;
    if (!client || !this.ready) throw new Error(`${this.options.name}: not connected to ${this.endpoint}`);
    await publishOnce(client, topic, payload, options, this.operationTimeoutMs, `${this.options.name}: publish to ${topic}`);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.recycleTimer);
    const client = this.client;
    if (!client) return;
    const wasReady = this.ready;
    this.ready = false;
    await withTimeout(client.endAsync(!wasReady), 2_000, 'disconnect').catch(() => client.end(true));
  }

  private failed(kind: ConnectionErrorKind, message: string): void {
    this.lastFailure = { kind, message, at: systemClock.now() };
  }

  private get operationTimeoutMs(): number {
    return this.options.operationTimeoutMs ?? DEFAULTS.operationTimeoutMs;
  }

  /** Drops a connection that is up but unusable, and tries again after the reconnect period. */
  private recycle(client: MqttClient): void {
    client.end(true, () => {
      if (this.stopped) return;
      this.recycleTimer = setTimeout(() => client.reconnect(), this.clientOptions.reconnectPeriod);
    });
  }

  private async subscribeAll(client: MqttClient): Promise<void> {
    const { name, logger, subscriptions = {} } = this.options;
    const filters = Object.keys(subscriptions);
    try {
      if (filters.length > 0) {
        const map = Object.fromEntries(filters.map((f) => [f, { qos: subscriptions[f] }]));
        await subscribeGranted(client, map, this.operationTimeoutMs, `${name}: subscribe`);
      }
    } catch (err) {
      this.failed('subscribe', (err as Error).message);
      if (err instanceof RefusedSubscriptions) {
        // Usually a cloud policy that does not allow these filters; retrying will not help until it changes.
        logger.error({ ...this.where, refused: err.filters }, 'MQTT broker refused subscriptions; check the policy for this client');
      } else {
        logger.warn({ ...this.where, error: (err as Error).message }, 'MQTT subscribe failed; reconnecting');
      }
      this.recycle(client);
      return;
    }
    if (!client.connected) return;
    this.ready = true;
    this.lastErrorMessage = undefined;
    this.lastConnectedAt = systemClock.now();
    logger.info(this.where, 'MQTT connected');
    for (const listener of [...this.upListeners]) listener();
  }
}

/**
 * Says what is unsafe in how a sink reaches its broker: TLS settings given
 * for a plain URL (or none where the destination is only ever reached over
 * TLS, `expectTls`), or certificate checks turned off. Sinks call it once, at
 * start, however many connections they open.
 */
export function warnAboutTransport(
  sink: { name: string; url: string; tls?: TlsOptions; expectTls?: boolean },
  logger: SinkLogger,
): void {
  const protocol = URL.canParse(sink.url) ? new URL(sink.url).protocol : '';
  if (isSecure(protocol)) warnIfInsecure(sink.tls, logger);
  else if (sink.expectTls || sink.tls?.cert || sink.tls?.key) {
    logger.warn({ protocol }, 'MQTT without TLS: the TLS settings are not used (fine for a local test endpoint only)');
  }
}

function isSecure(protocol: string): boolean {
  return protocol === 'mqtts:' || protocol === 'wss:';
}

function clientOptionsOf(options: MqttConnectionOptions): IClientOptions {
  const tls = isSecure(urlProtocol(options)) ? options.tls : {};
  return {
    clientId: options.clientId,
    protocolVersion: options.protocolVersion ?? 4,
    clean: true,
    // Subscriptions are redone by subscribeAll on every connect, so `connected` can wait for them.
    resubscribe: false,
    keepalive: options.keepaliveSec ?? DEFAULTS.keepaliveSec,
    reconnectPeriod: options.reconnectPeriodMs ?? DEFAULTS.reconnectPeriodMs,
    connectTimeout: options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
    // A refused CONNACK (e.g. an expired token) is retried like a network error.
    reconnectOnConnackError: true,
    // Callers publish only while connected: nothing may wait in mqtt.js for a later connection.
    queueQoSZero: false,
    // mqtt.js otherwise pre-builds 65,536 two-byte Buffers (about 6 MB of heap, for the life of the process).
    writeCache: false,
    username: options.username,
    password: typeof options.password === 'function' ? options.password() : options.password,
    ...tls,
  };
}

function urlProtocol(options: MqttConnectionOptions): string {
  let protocol: string;
  try {
    protocol = new URL(options.url).protocol;
  } catch {
    throw new Error(`sink ${options.name}: invalid MQTT url`);
  }
  if (!['mqtt:', 'mqtts:', 'ws:', 'wss:'].includes(protocol)) {
    throw new Error(`sink ${options.name}: MQTT url must start with mqtt://, mqtts://, ws:// or wss:// (got ${protocol}//)`);
  }
  return protocol;
}

/** The broker answered a SUBSCRIBE with failure (0x80) for some filters. */
export class RefusedSubscriptions extends Error {
  constructor(readonly filters: string[]) {
    super(`subscriptions refused: ${filters.join(', ')}`);
    this.name = 'RefusedSubscriptions';
  }
}

/** Subscribes and waits for the SUBACK (at most `timeoutMs`); throws RefusedSubscriptions for filters the broker refused. */
export async function subscribeGranted(client: MqttClient, subscriptions: ISubscriptionMap, timeoutMs: number, what: string): Promise<void> {
  const granted = await withTimeout(client.subscribeAsync(subscriptions), timeoutMs, what);
  const refused = granted.filter((g) => g.qos >= 0x80).map((g) => g.topic);
  if (refused.length > 0) throw new RefusedSubscriptions(refused);
}

/**
 * Publishes and waits for the PUBACK (QoS 1/2) or the write (QoS 0), at most
 * `timeoutMs`; a publish that fails or times out is taken out of mqtt.js's
 * store, so no reconnect sends it later.
 */
export async function publishOnce(
  client: MqttClient,
  topic: string,
  payload: string | Buffer,
  options: IClientPublishOptions,
  timeoutMs: number,
  what: string,
): Promise<void> {
  let callback!: PacketCallback;
  const done = new Promise<void>((resolve, reject) => {
    callback = (err) => (err ? reject(err) : resolve());
    client.publish(topic, payload, options, callback);
  });
  try {
    await withTimeout(done, timeoutMs, what);
  } catch (err) {
    // mqtt.js assigns the message id inside publish(): the entry is the one holding our callback.
    for (const [id, entry] of Object.entries(client.outgoing)) {
      if (entry.cb === callback) client.removeOutgoingMessage(Number(id));
    }
    throw err;
  }
}

/** Fails the publishes still awaiting acknowledgement and keeps mqtt.js from resending them after a reconnect. */
export function abandonInFlight(client: MqttClient): void {
  for (const [id, entry] of Object.entries(client.outgoing)) {
    if (entry.cmd === 'publish' || entry.cmd === 'pubrel') client.removeOutgoingMessage(Number(id));
  }
}
