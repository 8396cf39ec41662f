import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { connect, MqttClient } from 'mqtt';
import { redactUrl, validateTopic } from '@gw/messaging';
import { jsonArray } from './http-sink';
import { DeliveryError, DeliveryOptions, ExportRecord, OutboxRecord, Sink, SinkContext, SinkLogger } from './sink';
import type { MqttSinkConfig } from './sink-config';
import { TlsOptions, tlsOptions, warnIfInsecure } from './tls';

const gzipAsync = promisify(gzip);

const DEFAULT_MAX_BATCH = 500;
const DEFAULT_RECONNECT_PERIOD_MS = 2_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * What `{device}` becomes for a record that is not about one device (key ''):
 * a readable level rather than an empty one (`plant1//telemetry` defeats `+`
 * filters in most tools). A device literally named `all` shares the topic;
 * the payload still names each device.
 */
export const ALL_DEVICES = 'all';

export interface MqttSinkOptions {
  /** Most records per deliver() (default 500). */
  maxBatch?: number;
  /** Pause between reconnect attempts (default 2 s). */
  reconnectPeriodMs?: number;
  /** How long a connection attempt may take, TCP + TLS + CONNACK (default 10 s). */
  connectTimeoutMs?: number;
}

export interface MqttMessage {
  topic: string;
  payload: Buffer;
  /** The records in the payload. */
  records: OutboxRecord[];
}

/** The topic of a record: `{device}` → its key (`all` when '', wildcards made harmless), `{kind}` → its kind. */
export function renderTopic(template: string, record: Pick<ExportRecord, 'key' | 'kind'>): string {
  // A `+`, `#` or `/` in a name would make the topic invalid (the broker drops the
  // connection, and the outbox would retry it forever) or add a level.
  const device = (record.key || ALL_DEVICES).replace(/[+#/]/g, '_');
  return template.replaceAll('{device}', device).replaceAll('{kind}', record.kind);
}

/** Batched: one JSON array per distinct topic, topics in order of first appearance; else one message per record. */
export function toMessages(records: OutboxRecord[], template: string, batched: boolean): MqttMessage[] {
  if (!batched) return records.map((record) => ({ topic: renderTopic(template, record), payload: record.body, records: [record] }));
  const groups = new Map<string, OutboxRecord[]>();
  for (const record of records) {
    const topic = renderTopic(template, record);
    const group = groups.get(topic);
    if (group) group.push(record);
    else groups.set(topic, [record]);
  }
  return [...groups].map(([topic, group]) => ({ topic, payload: jsonArray(group), records: group }));
}

/** How many leading records are in messages the broker acknowledged (`acked[i]` for `messages[i]`). */
export function leadingDelivered(records: OutboxRecord[], messages: MqttMessage[], acked: boolean[]): number {
  const delivered = new Set(messages.filter((_, i) => acked[i]).flatMap((m) => m.records));
  const first = records.findIndex((record) => !delivered.has(record));
  return first < 0 ? records.length : first;
}

const silent: SinkLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * Publishes records to any MQTT broker with one mqtt.js client that
 * reconnects on its own. The outbox is the only queue: the sink publishes
 * only while connected (otherwise deliver() fails with `retry` at once), and
 * when the connection drops with publishes awaiting their PUBACK, it takes
 * them out of mqtt.js's in-flight store and fails them. Left there, mqtt.js
 * would resend them after reconnecting while the outbox resends the same
 * records, and its store would grow with every attempt of a long outage.
 * All messages of one call go out in order on one connection and the call
 * resolves once every one is acknowledged (QoS 1/2) or written (QoS 0). If
 * the connection drops midway, the call fails with `delivered` = the leading
 * records whose messages were acknowledged, and the outbox sends only the
 * rest again; a message the broker took but whose PUBACK was lost with the
 * connection is sent again (at least once).
 */
export class MqttSink implements Sink {
  readonly name: string;
  readonly maxBatch: number;
  private readonly clientId: string;
  private readonly tls: TlsOptions;
  private client?: MqttClient;
  private logger: SinkLogger = silent;
  private isConnected = false;
  private lastError?: string;
  private reportedDown = false;

  constructor(
    private readonly config: MqttSinkConfig,
    private readonly options: MqttSinkOptions = {},
  ) {
    this.name = config.name;
    this.maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
    validateTopic(renderTopic(config.topic, { key: 'x', kind: 'telemetry' }));
    this.tls = tlsOptions(config.tls);
    this.clientId = config.clientId ?? `gw-app-${config.name}-${randomBytes(4).toString('hex')}`;
  }

  get connected(): boolean {
    return this.isConnected;
  }

  /** Resolves after the first connection attempt, whatever its outcome; mqtt.js keeps retrying. */
  async start(context: SinkContext): Promise<void> {
    if (this.client) return;
    this.logger = context.logger;
    warnIfInsecure(this.config.tls, this.name, this.logger);
    const where = { sink: this.name, url: redactUrl(this.config.url), clientId: this.clientId };
    const client = connect(this.config.url, {
      clientId: this.clientId,
      username: this.config.username,
      password: this.config.password,
      ...this.tls,
      clean: true,
      keepalive: 30,
      reconnectPeriod: this.options.reconnectPeriodMs ?? DEFAULT_RECONNECT_PERIOD_MS,
      connectTimeout: this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      queueQoSZero: false,
    });
    this.client = client;
    client.on('connect', () => {
      this.isConnected = true;
      this.lastError = undefined;
      this.reportedDown = false;
      this.logger.info(where, 'MQTT sink: connected');
    });
    client.on('close', () => {
      const wasConnected = this.isConnected;
      this.isConnected = false;
      this.abandonInFlight(client);
      if ((wasConnected || !this.reportedDown) && this.client === client) {
        this.reportedDown = true;
        this.logger.warn({ ...where, error: this.lastError }, 'MQTT sink: no connection to the broker; reconnecting');
      }
    });
    // Without a listener an 'error' would crash the process; the same error on every attempt is logged once.
    client.on('error', (err) => {
      if (err.message !== this.lastError && this.reportedDown) this.logger.warn({ ...where, error: err.message }, 'MQTT sink: connection error');
      this.lastError = err.message;
    });
    await new Promise<void>((resolve) => {
      const done = () => {
        client.off('connect', done);
        client.off('close', done);
        resolve();
      };
      client.on('connect', done);
      client.on('close', done);
    });
  }

  async deliver(records: OutboxRecord[], options: DeliveryOptions): Promise<void> {
    const messages = toMessages(records, this.config.topic, options.batched);
    if (options.gzip) {
      for (const message of messages) message.payload = await gzipAsync(message.payload);
    }
    const client = this.client;
    if (!client || !this.isConnected) {
      throw new DeliveryError(`not connected to the broker${this.lastError ? ` (${this.lastError})` : ''}`, 'retry');
    }
    const { qos, retain } = this.config;
    const acked = messages.map(() => false);
    // Issued in one go so mqtt.js writes them in order; awaited together for the acknowledgements.
    const publishes = messages.map(({ topic, payload }, i) =>
      client.publishAsync(topic, payload, { qos, retain }).then(
        () => {
          acked[i] = true;
        },
        (err: Error) => {
          throw new Error(`publish to ${topic} failed: ${err.message}`, { cause: err });
        },
      ),
    );
    try {
      await Promise.all(publishes);
    } catch (err) {
      // Counted at the first failure: a dropped connection fails every unacknowledged
      // publish at once (abandonInFlight), after the PUBACKs that came before it. An
      // acknowledgement after that is not counted: its record goes again (at least once).
      const delivered = leadingDelivered(records, messages, acked);
      throw new DeliveryError((err as Error).message, 'retry', { cause: (err as Error).cause, delivered });
    }
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    await client.endAsync(true);
    this.isConnected = false;
  }

  /** Fails the publishes still awaiting acknowledgement and keeps mqtt.js from resending them. */
  private abandonInFlight(client: MqttClient): void {
    for (const [id, entry] of Object.entries(client.outgoing)) {
      if (entry.cmd === 'publish' || entry.cmd === 'pubrel') client.removeOutgoingMessage(Number(id));
    }
  }
}
