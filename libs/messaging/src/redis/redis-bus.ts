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
  BusConnectionOptions,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_DELIVERY_QUEUE_LIMIT,
  DEFAULT_MAX_PACKET_BYTES,
  DEFAULT_PUBLISH_QUEUE_LIMIT,
} from '../options';
import { refuseOversized } from '../packet-limit';
import { PublishQueue } from '../publish-queue';
import { requestReply } from '../request-reply';
import { compileTopicFilter, TopicFilter, validateTopic } from '../topic-filter';
import {
  closeConnection,
  ConnectionFactory,
  connectionFactory,
  connectWithin,
  describe,
  lostInFlight,
  RedisConnection,
} from './connection';
import { RedisStreamConsumer } from './stream-consumer';
import { PubSubKey, pubSubKeys, StreamRouting } from './stream-routing';

export interface RedisBusOptions extends BusConnectionOptions {
  /**
   * Topics (MQTT filters) that are also appended to a stream, so durable
   * subscribers get them after an absence. Default: every `{base}/events/...`.
   */
  streamTopics?: string[];
  /** Approximate bound per stream (XADD MAXLEN ~): what a durable subscriber may be behind by. */
  streamMaxLen?: number;
  /** Prefix of every key the bus creates (streams, the durable registry). */
  keyPrefix?: string;
  /** Stream entries fetched per read (a durable subscriber holds at most maxInFlight + readBatch unacknowledged). */
  readBatch?: number;
  /** How long one blocking stream read waits before it is re-issued. */
  blockMs?: number;
}

export const DEFAULT_STREAM_TOPICS = ['+/events/#'];
export const DEFAULT_STREAM_MAXLEN = 100_000;

interface Route {
  subscribers: Map<DeliveryQueue, TopicFilter>;
  ready: Promise<unknown>;
  /** node-redis calls it for every message on the channel or pattern. */
  listener: (message: string, channel: string) => void;
}

/**
 * Redis via node-redis (the `redis` package), on three kinds of connection:
 * one for commands (publish, durable registry, XACK), one in subscriber mode for
 * Pub/Sub, and one per durable subscriber for its blocking stream reads.
 *
 * Every message is PUBLISHed, so plain subscribers (PSUBSCRIBE with a glob
 * translated from the MQTT filter, then exact in-process matching) see
 * everything. Topics matching `streamTopics` are also XADDed, in the same
 * pipeline, to a stream per first two levels; durable subscribers read that
 * stream through a consumer group (see RedisStreamConsumer), so an absent
 * subscriber misses nothing up to `streamMaxLen` entries.
 */
export class RedisMessageBus implements ManagedMessageBus {
  readonly kind = 'redis' as const;
  private newConnection?: ConnectionFactory;
  private cmd?: RedisConnection;
  private sub?: RedisConnection;
  private readonly ctx: DeliveryContext;
  private readonly routing: StreamRouting;
  private readonly routes = new Map<string, Route>();
  private readonly durables = new Map<string, { consumer: RedisStreamConsumer; conn: RedisConnection }>();
  private readonly publishes: PublishQueue;
  private readonly connectionLog: ThrottledLog;
  private readonly keyPrefix: string;
  /** The commands or Pub/Sub connection was lost and the bus has not been whole again since. */
  private lostBroker = false;
  private closing = false;

  constructor(
    private readonly options: RedisBusOptions,
    logger: BusLogger = silentLogger,
  ) {
    this.ctx = new DeliveryContext(logger);
    this.keyPrefix = options.keyPrefix ?? 'gw:';
    this.routing = new StreamRouting(options.streamTopics ?? DEFAULT_STREAM_TOPICS, this.keyPrefix);
    this.publishes = new PublishQueue(options.publishQueueLimit ?? DEFAULT_PUBLISH_QUEUE_LIMIT, 'Redis bus');
    this.connectionLog = new ThrottledLog((o, m) => logger.warn(o, m));
  }

  get connected(): boolean {
    return !!this.cmd?.isReady && !!this.sub?.isReady;
  }

  stats(): BusStats {
    return { ...this.ctx.stats };
  }

  onReconnect(listener: () => void): () => void {
    return this.ctx.onReconnect(listener);
  }

  async connect(): Promise<void> {
    if (this.cmd) return;
    // The deadline includes loading node-redis, which the first connection does.
    const startedAt = Date.now();
    this.newConnection ??= connectionFactory(this.options);
    const cmd = this.watch(this.newConnection('cmd'), 'commands', true);
    const sub = this.watch(this.newConnection('sub'), 'subscriber', true);
    this.cmd = cmd;
    this.sub = sub;
    try {
      await Promise.all([cmd, sub].map((c) => connectWithin(c, this.connectTimeoutMs, this.options.url, startedAt)));
    } catch (err) {
      this.cmd = this.sub = undefined;
      closeConnection(cmd);
      closeConnection(sub);
      throw err;
    }
    this.ctx.logger.info({ url: redactUrl(this.options.url) }, 'Redis bus: connected');
  }

  async publish(topic: string, envelope: MessageEnvelope): Promise<void> {
    const cmd = this.requireConnection();
    validateTopic(topic);
    const data = encodeEnvelope(envelope);
    // Redis answers a bulk above proto-max-bulk-len by closing the connection, often while the
    // message is still being written: sent again after the reconnect, it would close it again.
    const limit = this.options.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES;
    refuseOversized('Redis bus', topic, data.length, limit, 'of maxPacketBytes (set it to Redis\'s proto-max-bulk-len)');
    const stream = this.routing.keyForTopic(topic);
    const threshold = this.options.streamMaxLen ?? DEFAULT_STREAM_MAXLEN;
    const send = async (): Promise<void> => {
      if (!stream) {
        await cmd.publish(topic, data);
        return;
      }
      // One round trip (node-redis pipelines what is sent in the same tick); the stream append is what makes the publish durable.
      await Promise.all([
        cmd.xAdd(stream, '*', { t: topic, d: data }, { TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold } }),
        cmd.publish(topic, data),
      ]);
    };
    await this.publishes.run(async () => {
      for (;;) {
        try {
          return await send();
        } catch (err) {
          // node-redis fails what was on the wire when the connection drops; sent again, it waits in
          // the offline queue for the reconnect, as a publish made during the outage does (at least once).
          if (!this.closing && lostInFlight(err)) continue;
          throw toGatewayError(err, ErrorKind.Communication);
        }
      }
    });
    this.ctx.stats.published++;
  }

  async subscribe(filter: string, handler: MessageHandler, options: SubscribeOptions = {}): Promise<Subscription> {
    this.requireSubscriber(); // not connected: say so before anything else
    const compiled = compileTopicFilter(filter);
    const maxInFlight = inFlightLimit(options);
    if (options.durable) return this.subscribeDurable(options.durable, compiled, handler, options, maxInFlight);

    const queue = new DeliveryQueue(this.ctx, handler, new BoundedQueue<Delivery>(this.deliveryQueueLimit), filter, options);
    // One filter may take two subscriptions (`a/#`: the pattern `a/*` and the channel `a`); they never deliver the same message.
    const joined = pubSubKeys(filter).map((key) => this.joinRoute(key, filter, queue, compiled));
    const leave = () => {
      for (const { key, route } of joined) {
        route.subscribers.delete(queue);
        this.dropRouteIfUnused(key, route);
      }
    };
    try {
      await Promise.all(joined.map(({ route }) => route.ready));
    } catch (err) {
      leave();
      throw toGatewayError(err, ErrorKind.Communication);
    }
    let done: Promise<void> | undefined;
    return {
      unsubscribe: () =>
        (done ??= (async () => {
          for (const { route } of joined) route.subscribers.delete(queue);
          await queue.stop();
          leave();
        })()),
    };
  }

  /** Adds a subscriber to the route of one Pub/Sub key, subscribing on Redis when it is the first. */
  private joinRoute(key: PubSubKey, filter: string, queue: DeliveryQueue, compiled: TopicFilter): { key: PubSubKey; route: Route } {
    const routeKey = routeKeyOf(key);
    let route = this.routes.get(routeKey);
    if (!route) {
      const sub = this.requireSubscriber();
      const listener = (message: string, topic: string) => this.route(routeKey, topic, message);
      const subscribing = key.pattern ? sub.pSubscribe(key.channel, listener) : sub.subscribe(key.channel, listener);
      route = { subscribers: new Map(), ready: this.answered(subscribing, `subscribe "${filter}"`), listener };
      this.routes.set(routeKey, route);
    }
    route.subscribers.set(queue, compiled);
    return { key, route };
  }

  request(topic: string, envelope: MessageEnvelope, options: RequestOptions): Promise<MessageEnvelope> {
    return requestReply(this, topic, envelope, options, this.ctx.logger);
  }

  async deleteDurable(name: string): Promise<void> {
    const cmd = this.requireConnection();
    await this.stopDurable(name);
    const key = await this.answered(cmd.hGet(this.registryKey, name), `look up durable "${name}"`);
    if (key) {
      const removal = cmd
        .multi()
        .xGroupDestroy(key, name)
        .hDel(this.registryKey, name)
        .exec()
        .catch((err: unknown) => {
          // The stream itself is gone (deleted, or trimmed to nothing and expired): no group left to destroy.
          const replies = (err as { replies?: unknown[] }).replies;
          const onlyGroup = replies?.every((r, i) => i === 0 || !(r instanceof Error));
          if (!(onlyGroup && describe(replies?.[0]).includes('requires the key to exist'))) throw err;
        });
      await this.answered(removal, `delete durable "${name}"`);
    }
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await Promise.all([...this.durables.keys()].map((name) => this.stopDurable(name)));
    if (this.cmd?.isReady) await this.publishes.drain(2_000);
    this.publishes.close(new GatewayError(ErrorKind.Communication, 'Redis bus closed before Redis acknowledged the publish'));
    await Promise.all([...this.routes.values()].flatMap((r) => [...r.subscribers.keys()].map((q) => q.stop())));
    this.routes.clear();
    for (const conn of [this.sub, this.cmd]) if (conn) closeConnection(conn);
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
    const key = this.routing.keyForDurableFilter(filter.filter);
    const conn = this.watch((this.newConnection as ConnectionFactory)(`durable:${name}`), `durable ${name}`, false);
    const consumer = new RedisStreamConsumer(
      conn,
      this.requireConnection(),
      {
        name,
        key,
        filter,
        handler,
        limit,
        maxInFlight,
        readBatch: this.options.readBatch ?? 256,
        blockMs: this.options.blockMs ?? 5_000,
        retryDelayMs: this.options.reconnectPeriodMs ?? 1_000,
      },
      this.ctx,
    );
    const entry = { consumer, conn };
    this.durables.set(name, entry);
    try {
      await connectWithin(conn, this.connectTimeoutMs, this.options.url);
      // Remembered so deleteDurable can find the group from any process.
      await this.answered(this.requireConnection().hSet(this.registryKey, name, key), `register durable "${name}"`);
      await consumer.start();
    } catch (err) {
      this.durables.delete(name);
      closeConnection(conn);
      throw toGatewayError(err, ErrorKind.Communication);
    }
    let done: Promise<void> | undefined;
    return {
      unsubscribe: () =>
        (done ??= (async () => {
          if (this.durables.get(name) === entry) await this.stopDurable(name);
        })()),
    };
  }

  private async stopDurable(name: string): Promise<void> {
    const entry = this.durables.get(name);
    if (!entry) return;
    this.durables.delete(name);
    await entry.consumer.stop();
    closeConnection(entry.conn);
  }

  private route(routeKey: string, channel: string, message: string): void {
    const route = this.routes.get(routeKey);
    if (!route) return;
    const delivery: Delivery = { topic: channel, data: message };
    for (const [queue, filter] of route.subscribers) if (filter.matches(channel)) queue.push(delivery);
  }

  private dropRouteIfUnused(key: PubSubKey, route: Route): void {
    const routeKey = routeKeyOf(key);
    if (route.subscribers.size > 0 || this.routes.get(routeKey) !== route) return;
    this.routes.delete(routeKey);
    if (this.closing || !this.sub) return;
    const { pattern, channel } = key;
    (pattern ? this.sub.pUnsubscribe(channel, route.listener) : this.sub.unsubscribe(channel, route.listener)).catch((err: Error) =>
      this.connectionLog.write({ channel, error: err.message }, 'Redis bus: unsubscribe failed'),
    );
  }

  /**
   * Logs outages once per connection; a reconnect of the bus (commands or
   * Pub/Sub, `main`, lost and both ready again: node-redis has subscribed the
   * channels and patterns again by then) is counted and told to onReconnect
   * listeners. node-redis emits an 'error' per failed attempt and throws it
   * when nobody listens, so this also keeps a Redis outage from crashing the process.
   */
  private watch(conn: RedisConnection, role: string, main: boolean): RedisConnection {
    let everReady = false;
    let down = false;
    conn.on('ready', () => {
      if (everReady && down) this.ctx.logger.info({ role }, 'Redis bus: reconnected');
      everReady = true;
      down = false;
      if (main && this.lostBroker && this.connected && !this.closing) {
        this.lostBroker = false;
        this.ctx.reconnected();
      }
    });
    // Emitted when the connection is lost, and again before every further attempt.
    conn.on('reconnecting', () => {
      if (everReady && !down && !this.closing) this.ctx.logger.warn({ role }, 'Redis bus: lost Redis; reconnecting');
      if (everReady && main) this.lostBroker = true;
      down = true;
    });
    conn.on('error', (err: Error) => {
      // After close (or a given-up first connect) an attempt's end is no news.
      if (!this.closing && conn.isOpen) this.connectionLog.write({ role, error: describe(err) }, 'Redis bus: connection error');
    });
    return conn;
  }

  /**
   * `work` (a command to Redis), failing with "Redis bus: `what`: no answer
   * within connectTimeoutMs ms" as a Communication error: Redis silent that
   * long is taken as gone, not as slow.
   */
  private answered<T>(work: Promise<T>, what: string): Promise<T> {
    return withTimeout(work, this.connectTimeoutMs, `Redis bus: ${what}`, { kind: ErrorKind.Communication });
  }

  private requireConnection(): RedisConnection {
    if (!this.cmd || this.closing) throw new GatewayError(ErrorKind.Communication, 'Redis bus is not connected: call connect() first');
    return this.cmd;
  }

  private requireSubscriber(): RedisConnection {
    this.requireConnection();
    return this.sub as RedisConnection;
  }

  private get registryKey(): string {
    return `${this.keyPrefix}durables`;
  }

  private get connectTimeoutMs(): number {
    return this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  }

  private get deliveryQueueLimit(): number {
    return this.options.deliveryQueueLimit ?? DEFAULT_DELIVERY_QUEUE_LIMIT;
  }
}

/** Where a Pub/Sub key's route is kept: `p:` patterns and `c:` channels apart. */
function routeKeyOf(key: PubSubKey): string {
  return `${key.pattern ? 'p' : 'c'}:${key.channel}`;
}
