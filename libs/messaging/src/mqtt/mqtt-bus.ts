import { randomUUID } from 'node:crypto';
import { connect, IClientOptions, IPublishPacket, MqttClient } from 'mqtt';
import { ErrorKind, GatewayError, redactUrl, toGatewayError, withTimeout } from '@gw/contracts';
import { BoundedQueue } from '../bounded-queue';
import { Delivery, DeliveryContext, DeliveryQueue } from '../delivery';
import { encodeEnvelope } from '../envelope';
import { BusLogger, silentLogger, ThrottledLog } from '../logger';
import type {
  BusStats,
  ManagedMessageBus,
  MessageEnvelope,
  MessageHandler,
  MessageLimit,
  RequestOptions,
  SubscribeOptions,
  Subscription,
} from '../message-bus';
import { inFlightLimit } from '../in-flight';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_DELIVERY_QUEUE_LIMIT,
  DEFAULT_MAX_PACKET_BYTES,
  DEFAULT_PUBLISH_QUEUE_LIMIT,
} from '../options';
import { refuseOversized } from '../packet-limit';
import { PublishQueue } from '../publish-queue';
import { requestReply } from '../request-reply';
import { compileTopicFilter, TopicFilter, validateTopic } from '../topic-filter';
import { assertGranted, baseClientOptions, endClient, MqttBusOptions, NEVER_EXPIRES, waitForConnect } from './client-options';
import { discardSession, MqttDurableSubscriber } from './durable-subscriber';
import { publishPacketBytes } from './packet-size';

/** One broker subscription, shared by every local subscriber of the same filter. */
interface Route {
  filter: TopicFilter;
  /** MQTT 5 subscription identifier: tells us which of overlapping filters a copy is for. */
  id: number;
  queues: Set<DeliveryQueue>;
  ready: Promise<void>;
}

/**
 * MQTT via mqtt.js, QoS 1 both ways.
 *
 * - Plain subscriptions share one clean-session client. Mosquitto sends one
 *   copy per matching subscription, so each copy is routed by its subscription
 *   identifier and no local subscriber sees a message twice.
 * - Durable subscriptions get their own persistent-session client (see
 *   MqttDurableSubscriber).
 * - Publish resolves on PUBACK. During an outage publishes wait (in order, at
 *   most publishQueueLimit of them) and go out after mqtt.js reconnects; the
 *   next one beyond the bound is rejected with a Communication error.
 * - A message larger than the broker takes is refused before it is sent (see
 *   maxPacketBytes): the broker would drop the connection, and mqtt.js sends a
 *   stored QoS 1 packet again on every reconnect, so nothing else would get through.
 */
export class MqttMessageBus implements ManagedMessageBus {
  readonly kind = 'mqtt' as const;
  private client?: MqttClient;
  private readonly ctx: DeliveryContext;
  private readonly routes = new Map<string, Route>();
  private readonly routesById = new Map<number, Route>();
  private nextSubscriptionId = 1;
  private readonly durables = new Map<string, MqttDurableSubscriber>();
  private readonly publishes: PublishQueue;
  private readonly clientId: string;
  private readonly connectionLog: ThrottledLog;
  /** Maximum Packet Size from the last CONNACK (mqtt.js forgets it while offline). */
  private brokerMaxPacket?: number;
  private closing = false;

  constructor(
    private readonly options: MqttBusOptions,
    logger: BusLogger = silentLogger,
  ) {
    this.ctx = new DeliveryContext(logger);
    this.clientId = options.clientId ?? `gw-${randomUUID().slice(0, 8)}`;
    this.publishes = new PublishQueue(options.publishQueueLimit ?? DEFAULT_PUBLISH_QUEUE_LIMIT, 'MQTT bus');
    this.connectionLog = new ThrottledLog((o, m) => logger.warn(o, m));
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  stats(): BusStats {
    return { ...this.ctx.stats };
  }

  onReconnect(listener: () => void): () => void {
    return this.ctx.onReconnect(listener);
  }

  async connect(): Promise<void> {
    if (this.client) return;
    const { logger } = this.ctx;
    const client = connect(this.options.url, {
      ...baseClientOptions(this.options),
      clientId: this.clientId,
      clean: true,
      manualConnect: true,
    });
    this.client = client;
    client.on('message', (topic, payload, packet) => this.route(topic, payload, packet));
    let everConnected = false;
    client.on('connect', () => {
      // The broker tells us how many unacknowledged QoS 1 publishes it accepts.
      this.publishes.setWindow(client.serverProperties?.receiveMaximum ?? 65_535);
      this.brokerMaxPacket = client.serverProperties?.maximumPacketSize;
      if (everConnected) {
        logger.info({ url: redactUrl(this.options.url), clientId: this.clientId }, 'MQTT bus: reconnected');
        // mqtt.js has written the SUBSCRIBEs of the plain subscriptions again (its own 'connect' listener ran first).
        this.ctx.reconnected();
      }
      everConnected = true;
    });
    client.on('offline', () => {
      if (this.closing) return;
      logger.warn({ url: redactUrl(this.options.url), pendingPublishes: this.publishes.size }, 'MQTT bus: lost the broker; reconnecting');
    });
    client.on('error', (err) => this.connectionLog.write({ clientId: this.clientId, error: err.message }, 'MQTT bus: connection error'));

    const timeoutMs = this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const connected = waitForConnect(client, timeoutMs, `MQTT bus ${redactUrl(this.options.url)}`);
    client.connect();
    try {
      await connected;
    } catch (err) {
      this.client = undefined;
      await endClient(client, false);
      throw err;
    }
    logger.info({ url: redactUrl(this.options.url), clientId: this.clientId }, 'MQTT bus: connected');
  }

  async publish(topic: string, envelope: MessageEnvelope): Promise<void> {
    const client = this.requireClient();
    validateTopic(topic);
    const data = encodeEnvelope(envelope);
    const announced = this.brokerMaxPacket;
    const limit = announced ?? this.options.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES;
    const whose = announced === undefined ? 'of maxPacketBytes' : 'the broker takes (its Maximum Packet Size)';
    refuseOversized('MQTT bus', topic, publishPacketBytes(topic, data.length), limit, whose);
    await this.publishes.run(async () => {
      try {
        await client.publishAsync(topic, data, { qos: 1 });
      } catch (err) {
        throw toGatewayError(err, ErrorKind.Communication);
      }
    });
    this.ctx.stats.published++;
  }

  async subscribe(filter: string, handler: MessageHandler, options: SubscribeOptions = {}): Promise<Subscription> {
    const client = this.requireClient();
    const compiled = compileTopicFilter(filter);
    const maxInFlight = inFlightLimit(options);
    if (options.durable) return this.subscribeDurable(options.durable, compiled, handler, options, maxInFlight);

    const queue = new DeliveryQueue(this.ctx, handler, new BoundedQueue<Delivery>(this.deliveryQueueLimit), filter, options);
    let route = this.routes.get(filter);
    if (!route) {
      const id = this.nextSubscriptionId++;
      const ready = withTimeout(
        client.subscribeAsync(filter, { qos: 1, properties: { subscriptionIdentifier: id } }),
        this.operationTimeoutMs,
        `subscribe "${filter}"`,
        { kind: ErrorKind.Communication }, // silence means the broker is gone
      ).then((granted) => assertGranted(granted, filter));
      route = { filter: compiled, id, queues: new Set(), ready };
      this.routes.set(filter, route);
      this.routesById.set(id, route);
    }
    route.queues.add(queue);
    try {
      await route.ready;
    } catch (err) {
      route.queues.delete(queue);
      this.dropRouteIfUnused(route);
      throw toGatewayError(err, ErrorKind.Communication);
    }

    let done: Promise<void> | undefined;
    const current = route;
    return {
      unsubscribe: () =>
        (done ??= (async () => {
          current.queues.delete(queue);
          await queue.stop();
          this.dropRouteIfUnused(current);
        })()),
    };
  }

  request(topic: string, envelope: MessageEnvelope, options: RequestOptions): Promise<MessageEnvelope> {
    return requestReply(this, topic, envelope, options, this.ctx.logger);
  }

  async deleteDurable(name: string): Promise<void> {
    await this.durables.get(name)?.stop();
    this.durables.delete(name);
    await discardSession(this.options.url, this.durableClientOptions(name), this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await Promise.all([...this.durables.values()].map((d) => d.stop()));
    this.durables.clear();
    // Give in-flight publishes a moment to be acknowledged, then fail the rest.
    if (this.client?.connected) await this.publishes.drain(2_000);
    this.publishes.close(new GatewayError(ErrorKind.Communication, 'MQTT bus closed before the broker acknowledged the publish'));
    const queues = [...this.routes.values()].flatMap((r) => [...r.queues]);
    await Promise.all(queues.map((q) => q.stop()));
    this.routes.clear();
    this.routesById.clear();
    if (this.client) await endClient(this.client, true);
  }

  private async subscribeDurable(
    name: string,
    filter: TopicFilter,
    handler: MessageHandler,
    limit: MessageLimit,
    maxInFlight: number,
  ): Promise<Subscription> {
    if (this.durables.has(name)) {
      throw new GatewayError(ErrorKind.DuplicateName, `durable subscriber "${name}" is already active`);
    }
    const subscriber = new MqttDurableSubscriber(
      {
        name,
        url: this.options.url,
        clientOptions: this.durableClientOptions(name),
        filter,
        handler,
        limit,
        maxInFlight,
        connectTimeoutMs: this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
        operationTimeoutMs: this.operationTimeoutMs,
      },
      this.ctx,
    );
    this.durables.set(name, subscriber);
    try {
      await subscriber.start();
    } catch (err) {
      this.durables.delete(name);
      throw toGatewayError(err, ErrorKind.Communication);
    }
    let done: Promise<void> | undefined;
    return {
      unsubscribe: () =>
        (done ??= (async () => {
          await subscriber.stop();
          if (this.durables.get(name) === subscriber) this.durables.delete(name);
        })()),
    };
  }

  /**
   * The client id is derived from the durable name alone, as a Redis consumer
   * group is named after it: the same name is the same queue whichever process
   * or client id comes back. Durable names are therefore broker-wide; two
   * gateways sharing a broker must use different ones.
   */
  private durableClientOptions(name: string): IClientOptions {
    return {
      ...baseClientOptions(this.options),
      clientId: `durable-${name}`,
      clean: false,
      properties: { sessionExpiryInterval: this.options.sessionExpirySec ?? NEVER_EXPIRES },
    };
  }

  private route(topic: string, payload: Buffer, packet: IPublishPacket): void {
    const delivery: Delivery = { topic, data: payload };
    const ids = packet.properties?.subscriptionIdentifier;
    if (ids === undefined) {
      // A broker without subscription identifiers: fall back to matching.
      for (const route of this.routes.values()) if (route.filter.matches(topic)) this.deliver(route, delivery);
      return;
    }
    for (const id of Array.isArray(ids) ? ids : [ids]) {
      const route = this.routesById.get(id);
      if (route) this.deliver(route, delivery);
    }
  }

  private deliver(route: Route, delivery: Delivery): void {
    for (const queue of route.queues) queue.push(delivery);
  }

  private dropRouteIfUnused(route: Route): void {
    if (route.queues.size > 0 || this.routes.get(route.filter.filter) !== route) return;
    this.routes.delete(route.filter.filter);
    this.routesById.delete(route.id);
    const client = this.client;
    if (!client || this.closing) return;
    // Fire and forget: offline, mqtt.js sends it after reconnecting (or drops it with the clean session).
    client.unsubscribe(route.filter.filter, (err) => {
      if (err) this.connectionLog.write({ filter: route.filter.filter, error: err.message }, 'MQTT bus: unsubscribe failed');
    });
  }

  private requireClient(): MqttClient {
    if (!this.client || this.closing) {
      throw new GatewayError(ErrorKind.Communication, 'MQTT bus is not connected: call connect() first');
    }
    return this.client;
  }

  private get deliveryQueueLimit(): number {
    return this.options.deliveryQueueLimit ?? DEFAULT_DELIVERY_QUEUE_LIMIT;
  }

  private get operationTimeoutMs(): number {
    return this.options.operationTimeoutMs ?? 10_000;
  }
}
