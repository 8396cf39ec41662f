import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { jsonArray } from './http-sink';
import { MqttConnection, warnAboutTransport } from './mqtt-connection';
import { mqttSinkSettings, renderTopic } from './mqtt-sink-settings';
import { ConnectionStatus, DeliveryError, DeliveryOptions, OutboxRecord, Sink, SinkContext } from './sink';
import type { MqttSinkConfig } from './sink-config';
import type { TlsOptions } from './tls';

const gzipAsync = promisify(gzip);

const DEFAULT_MAX_BATCH = 500;

export interface MqttSinkOptions {
  /** Most records per deliver() (default 500). */
  maxBatch?: number;
  /** Pause between reconnect attempts (default 2 s). */
  reconnectPeriodMs?: number;
  /** How long a connection attempt may take, TCP + TLS + CONNACK (default 10 s). */
  connectTimeoutMs?: number;
  /** How long a publish may wait for its PUBACK (default 10 s); then it fails and the client never sends it again. */
  publishTimeoutMs?: number;
}

export interface MqttMessage {
  topic: string;
  payload: Buffer;
  /** The records in the payload. */
  records: OutboxRecord[];
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

/**
 * Publishes records to any MQTT broker over one MqttConnection, which
 * reconnects on its own. The outbox is the only queue: the sink publishes
 * only while connected (otherwise deliver() fails with `retry` at once), and
 * a publish that is not acknowledged in time, or was in flight when the
 * connection dropped, is failed and taken out of mqtt.js's store (see
 * mqtt-connection.ts): left there, mqtt.js would resend it after reconnecting
 * while the outbox resends the same records, and its store would grow with
 * every attempt of a long outage.
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
  private connection?: MqttConnection;

  constructor(
    private readonly config: MqttSinkConfig,
    private readonly options: MqttSinkOptions = {},
  ) {
    this.name = config.name;
    this.maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
    this.tls = mqttSinkSettings(config).tls;
    this.clientId = config.clientId ?? `gw-app-${config.name}-${randomBytes(4).toString('hex')}`;
  }

  get connected(): boolean {
    return this.connection?.connected ?? false;
  }

  connectionStatus(): ConnectionStatus {
    return this.connection?.status() ?? { connected: false };
  }

  /** Resolves after the first connection attempt, whatever its outcome; the connection keeps retrying. */
  async start(context: SinkContext): Promise<void> {
    if (this.connection) return;
    const { url, username, password } = this.config;
    warnAboutTransport({ name: this.name, url, tls: this.tls }, context.logger);
    this.connection = new MqttConnection({
      name: this.name,
      url,
      clientId: this.clientId,
      username,
      password,
      tls: this.tls,
      reconnectPeriodMs: this.options.reconnectPeriodMs,
      connectTimeoutMs: this.options.connectTimeoutMs,
      operationTimeoutMs: this.options.publishTimeoutMs,
      logger: context.logger,
    });
    await this.connection.start();
  }

  async deliver(records: OutboxRecord[], options: DeliveryOptions): Promise<void> {
    const messages = toMessages(records, this.config.topic, options.batched);
    if (options.gzip) {
      for (const message of messages) message.payload = await gzipAsync(message.payload);
    }
    const connection = this.connection;
    if (!connection?.connected) {
      const why = connection?.lastError;
      throw new DeliveryError(`not connected to the broker${why ? ` (${why})` : ''}`, 'retry');
    }
    const { qos, retain } = this.config;
    const acked = messages.map(() => false);
    // Issued in one go so they are written in order; awaited together for the acknowledgements.
    const publishes = messages.map(({ topic, payload }, i) =>
      connection.publish(topic, payload, { qos, retain }).then(
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
      // publish at once, after the PUBACKs that came before it. An acknowledgement
      // after that is not counted: its record goes again (at least once).
      const delivered = leadingDelivered(records, messages, acked);
      throw new DeliveryError((err as Error).message, 'retry', { cause: (err as Error).cause, delivered });
    }
  }

  async stop(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    await connection?.stop();
  }
}
