import { connect, IClientOptions, IPublishPacket, MqttClient } from 'mqtt';
import { ErrorKind, withTimeout } from '@gw/contracts';
import type { DeliveryContext } from '../delivery';
import { ThrottledLog } from '../logger';
import type { MessageHandler, MessageLimit } from '../message-bus';
import type { TopicFilter } from '../topic-filter';
import { assertGranted, endClient, waitForConnect } from './client-options';

export interface DurableSubscriberSettings {
  name: string;
  url: string;
  clientOptions: IClientOptions;
  filter: TopicFilter;
  handler: MessageHandler;
  /** Checked before a message is decoded. */
  limit?: MessageLimit;
  connectTimeoutMs: number;
  operationTimeoutMs: number;
}

/**
 * One durable subscriber = one MQTT client with a fixed client id and a
 * persistent session, so the broker queues QoS 1 messages while it is away.
 *
 * At-least-once: mqtt.js sends the PUBACK only when `handleMessage` calls
 * back, and it does not read the next packet until then, so we call back
 * after our handler resolved. A message in hand when the process dies is
 * redelivered by the broker on the next session. Side effect: handlers of one
 * durable subscriber run strictly one at a time, in order (and a handler that
 * takes longer than the keepalive interval gets the connection dropped).
 */
export class MqttDurableSubscriber {
  private client?: MqttClient;
  private stopping = false;
  private inHand: Promise<void> = Promise.resolve();
  private readonly unroutedLog: ThrottledLog;
  private readonly connectionLog: ThrottledLog;

  constructor(
    private readonly settings: DurableSubscriberSettings,
    private readonly ctx: DeliveryContext,
  ) {
    this.unroutedLog = new ThrottledLog((o, m) => ctx.logger.warn(o, m));
    this.connectionLog = new ThrottledLog((o, m) => ctx.logger.warn(o, m));
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  async start(): Promise<void> {
    const { name, url, clientOptions, filter, connectTimeoutMs, operationTimeoutMs } = this.settings;
    const client = connect(url, { ...clientOptions, manualConnect: true });
    this.client = client;
    client.handleMessage = (packet, done) => this.onMessage(packet, done);
    let everConnected = false;
    client.on('connect', () => {
      if (everConnected) {
        this.ctx.stats.reconnects++;
        this.ctx.logger.info({ durable: name }, 'MQTT bus: durable subscriber reconnected');
      }
      everConnected = true;
    });
    client.on('offline', () => this.ctx.logger.warn({ durable: name }, 'MQTT bus: durable subscriber lost the broker; reconnecting'));
    client.on('error', (err) =>
      this.connectionLog.write({ durable: name, error: err.message }, 'MQTT bus: durable subscriber connection error'),
    );

    const connected = waitForConnect(client, connectTimeoutMs, `durable subscriber "${name}"`);
    client.connect();
    try {
      await connected;
      // Idempotent when the session already has it; needed when the session is new.
      const subscribed = client.subscribeAsync(filter.filter, { qos: 1 });
      // Silence from the broker means it is gone: Communication, as for a failed connect.
      const granted = await withTimeout(subscribed, operationTimeoutMs, `subscribe "${filter.filter}"`, { kind: ErrorKind.Communication });
      assertGranted(granted, filter.filter);
    } catch (err) {
      this.stopping = true;
      await endClient(client, false);
      throw err;
    }
  }

  /**
   * Leaves without ending the session: the message in hand is finished and
   * acknowledged, everything after it stays with the broker for next time.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.inHand;
    if (this.client) await endClient(this.client, true);
  }

  private onMessage(packet: IPublishPacket, done: (err?: Error) => void): void {
    if (this.stopping) {
      // No PUBACK: the broker redelivers it to the next session.
      done(new Error('durable subscriber is stopping'));
      return;
    }
    const topic = packet.topic;
    this.inHand = (async () => {
      if (!this.settings.filter.matches(topic)) {
        // A subscription left in the session by an earlier filter of this name.
        this.unroutedLog.write(
          {
            durable: this.settings.name,
            filter: this.settings.filter.filter,
            topic,
          },
          'MQTT bus: durable session delivered a topic outside its filter; acknowledged and skipped',
        );
        return;
      }
      const envelope = this.ctx.decode(topic, packet.payload, this.settings.limit);
      if (envelope) await this.ctx.invoke(this.settings.handler, envelope, topic);
    })();
    this.inHand.then(() => done());
  }
}

/** Connects with the durable client id and a clean start, which discards the stored session. */
export async function discardSession(url: string, clientOptions: IClientOptions, timeoutMs: number): Promise<void> {
  const client = connect(url, {
    ...clientOptions,
    clean: true,
    reconnectPeriod: 0,
    manualConnect: true,
    properties: { ...clientOptions.properties, sessionExpiryInterval: 0 },
  });
  client.on('error', () => undefined);
  const connected = waitForConnect(client, timeoutMs, `discard session ${clientOptions.clientId}`);
  client.connect();
  try {
    await connected;
  } finally {
    await endClient(client, true);
  }
}
