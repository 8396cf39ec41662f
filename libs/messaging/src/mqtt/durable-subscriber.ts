import { connect, IClientOptions, IPublishPacket, MqttClient } from 'mqtt';
import { ErrorKind, withTimeout } from '@gw/contracts';
import type { DeliveryContext } from '../delivery';
import { InFlightWindow, MAX_IN_FLIGHT_LIMIT } from '../in-flight';
import { ThrottledLog } from '../logger';
import type { MessageHandler, MessageLimit } from '../message-bus';
import type { TopicFilter } from '../topic-filter';
import { assertGranted, endClient, waitForConnect } from './client-options';
import { ACK_LATER, assertManualPuback, sendPuback } from './manual-puback';

export interface DurableSubscriberSettings {
  name: string;
  url: string;
  clientOptions: IClientOptions;
  filter: TopicFilter;
  handler: MessageHandler;
  /** Checked before a message is decoded. */
  limit?: MessageLimit;
  /** Messages handed to the handler and not yet acknowledged, at most. */
  maxInFlight: number;
  connectTimeoutMs: number;
  operationTimeoutMs: number;
}

/**
 * Messages read ahead of the handler, beyond maxInFlight: received, not handed
 * out, not acknowledged. Without them maxInFlight 1 costs a round trip to the
 * broker per message (5,900 instead of 12,800 msg/s in `npm run bench bus`).
 */
export const DURABLE_READ_AHEAD = 100;

interface Arrival {
  packet: IPublishPacket;
  /** The connection it came on. */
  connection: number;
}

/**
 * One durable subscriber = one MQTT client with a fixed client id and a
 * persistent session, so the broker queues QoS 1 messages while it is away.
 *
 * At-least-once, many in flight: mqtt.js is told to send no PUBACK of its own
 * and keeps reading (manual-puback.ts); each message is acknowledged when its
 * own handler settled, on the connection it came on. One whose handler has not
 * settled when the connection or the process goes is sent again by the broker.
 * Flow control is the broker's: the client's MQTT 5 Receive Maximum is
 * maxInFlight + DURABLE_READ_AHEAD, so Mosquitto sends no more unacknowledged
 * messages than we hand out or hold; should more arrive (a broker that
 * ignores it) reading pauses until there is room. A SUBACK therefore never
 * waits behind handlers, and a keepalive is answered however long a handler takes.
 */
export class MqttDurableSubscriber {
  private client?: MqttClient;
  private stopping = false;
  /** Bumped when a connection closes: acknowledgements for messages of an earlier one are not sent. */
  private connection = 0;
  private readonly window: InFlightWindow;
  /** Read ahead, in arrival order, at most DURABLE_READ_AHEAD. */
  private readonly ahead: Arrival[] = [];
  /** A message beyond that: mqtt.js reads nothing more until it is taken. */
  private paused?: { arrival: Arrival; done: (err?: Error) => void };
  /**
   * Settles true once the broker granted the subscription, false if start()
   * failed. A session's queued messages arrive before the SUBACK: they are
   * handed out (counted in the window) but reach the handler only after it.
   */
  private subscribed: Promise<boolean>;
  private settleSubscribed!: (ok: boolean) => void;
  private readonly unroutedLog: ThrottledLog;
  private readonly connectionLog: ThrottledLog;

  constructor(
    private readonly settings: DurableSubscriberSettings,
    private readonly ctx: DeliveryContext,
  ) {
    this.window = new InFlightWindow(settings.maxInFlight, ctx.stats);
    this.subscribed = new Promise((resolve) => (this.settleSubscribed = resolve));
    this.unroutedLog = new ThrottledLog((o, m) => ctx.logger.warn(o, m));
    this.connectionLog = new ThrottledLog((o, m) => ctx.logger.warn(o, m));
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  async start(): Promise<void> {
    const { name, url, clientOptions, filter, maxInFlight, connectTimeoutMs, operationTimeoutMs } = this.settings;
    const client = connect(url, {
      ...clientOptions,
      manualConnect: true,
      properties: { ...clientOptions.properties, receiveMaximum: Math.min(maxInFlight + DURABLE_READ_AHEAD, MAX_IN_FLIGHT_LIMIT) },
    });
    this.client = client;
    assertManualPuback(client);
    client.handleMessage = (packet, done) => this.onMessage(packet, done);
    let everConnected = false;
    client.on('connect', () => {
      if (everConnected) {
        this.ctx.stats.reconnects++;
        this.ctx.logger.info({ durable: name }, 'MQTT bus: durable subscriber reconnected');
      }
      everConnected = true;
    });
    client.on('close', () => {
      // What was read ahead comes again on the next connection.
      this.connection++;
      this.ahead.length = 0;
      this.resume();
    });
    client.on('offline', () => this.ctx.logger.warn({ durable: name }, 'MQTT bus: durable subscriber lost the broker; reconnecting'));
    client.on('error', (err) =>
      this.connectionLog.write({ durable: name, error: err.message }, 'MQTT bus: durable subscriber connection error'),
    );

    const connected = waitForConnect(client, connectTimeoutMs, `durable subscriber "${name}"`);
    client.connect();
    try {
      await connected;
      // Needed when the session is new (or its filter changed); with a session
      // present the broker replaces the same subscription. Its SUBACK comes
      // after at most maxInFlight queued messages, which are read at once.
      const subscribed = client.subscribeAsync(filter.filter, { qos: 1 });
      // Silence from the broker means it is gone: Communication, as for a failed connect.
      const granted = await withTimeout(subscribed, operationTimeoutMs, `subscribe "${filter.filter}"`, { kind: ErrorKind.Communication });
      assertGranted(granted, filter.filter);
      this.settleSubscribed(true);
    } catch (err) {
      this.stopping = true;
      // Messages already handed out are not given to the handler, nor acknowledged: they come again.
      this.settleSubscribed(false);
      await endClient(client, false);
      throw err;
    }
  }

  /**
   * Leaves without ending the session: the messages in hand are finished and
   * acknowledged, everything after them stays with the broker for next time.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.resume();
    await this.window.idle();
    if (this.client) await endClient(this.client, true);
  }

  private onMessage(packet: IPublishPacket, done: (err?: Error) => void): void {
    // Stopping: no PUBACK, the broker sends it again to the next session.
    if (!this.stopping) {
      const arrival = { packet, connection: this.connection };
      if (this.ahead.length === 0 && this.window.free > 0) {
        this.handOut(arrival);
      } else if (this.ahead.length < DURABLE_READ_AHEAD) {
        this.ahead.push(arrival);
      } else {
        // More than the Receive Maximum unacknowledged: read nothing more until there is room.
        this.paused = { arrival, done };
        return;
      }
    }
    done(ACK_LATER);
  }

  /** Hands out what was read ahead while there is room, then lets a paused read go on. */
  private next(): void {
    while (!this.stopping && this.window.free > 0 && this.ahead.length > 0) this.handOut(this.ahead.shift() as Arrival);
    if (this.paused && this.ahead.length < DURABLE_READ_AHEAD) {
      const { arrival, done } = this.paused;
      this.paused = undefined;
      if (!this.stopping && arrival.connection === this.connection) this.ahead.push(arrival);
      done(ACK_LATER);
      this.next();
    }
  }

  /** Lets a paused read go on without keeping its message (stopping, or its connection is gone). */
  private resume(): void {
    const paused = this.paused;
    this.paused = undefined;
    paused?.done(ACK_LATER);
  }

  private handOut({ packet, connection }: Arrival): void {
    const topic = packet.topic;
    const ack = () => this.acknowledge(packet, connection);
    if (!this.settings.filter.matches(topic)) {
      // A subscription left in the session by an earlier filter of this name.
      this.unroutedLog.write(
        { durable: this.settings.name, filter: this.settings.filter.filter, topic },
        'MQTT bus: durable session delivered a topic outside its filter; acknowledged and skipped',
      );
      ack();
      return;
    }
    const envelope = this.ctx.decode(topic, packet.payload, this.settings.limit);
    if (!envelope) {
      ack();
      return;
    }
    const { handler } = this.settings;
    this.window.hand(
      // Not acknowledged (it comes again with the next session) when the start failed or the handler handed it back.
      async () => (await this.subscribed) && this.ctx.invoke(handler, envelope, topic, true),
      (acknowledge) => {
        if (acknowledge) ack();
        this.next();
      },
    );
  }

  private acknowledge(packet: IPublishPacket, connection: number): void {
    // QoS 0 needs none.
    if (packet.qos !== 1 || packet.messageId === undefined) return;
    const messageId = packet.messageId;
    // Not before the SUBACK, and never after a failed start: those messages come again.
    void this.subscribed.then((ok) => {
      const client = this.client;
      // A message of a connection since closed comes again on the next one.
      if (!ok || !client || connection !== this.connection || !client.connected) return;
      sendPuback(client, messageId);
      this.ctx.stats.acknowledged++;
    });
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
