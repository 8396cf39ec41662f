import { ErrorKind, GatewayError } from '@gw/contracts';
import { BoundedQueue } from '../bounded-queue';
import { Delivery, DeliveryContext, DeliveryQueue } from '../delivery';
import { encodeEnvelope } from '../envelope';
import { BusLogger, silentLogger } from '../logger';
import type {
  BusStats,
  ManagedMessageBus,
  MessageEnvelope,
  MessageHandler,
  RequestOptions,
  SubscribeOptions,
  Subscription,
} from '../message-bus';
import { inFlightLimit } from '../in-flight';
import { DEFAULT_DELIVERY_QUEUE_LIMIT } from '../options';
import { requestReply } from '../request-reply';
import { compileTopicFilter, validateTopic } from '../topic-filter';
import { DurableSlot, MemoryBroker, MemoryEndpoint } from './memory-broker';

export interface MemoryBusOptions {
  /** Defaults to the process-wide broker, so every service of the one-process gateway meets there. */
  broker?: MemoryBroker;
  /** Per subscription, and per durable subscriber while it is away. */
  deliveryQueueLimit?: number;
}

/**
 * The embedded default. Messages are JSON-encoded on publish and decoded per
 * subscriber, like on a real broker: a payload that could not cross MQTT fails
 * here too, and no two subscribers share (and could mutate) one object.
 */
export class MemoryMessageBus implements ManagedMessageBus {
  readonly kind = 'memory' as const;
  private readonly broker: MemoryBroker;
  private readonly ctx: DeliveryContext;
  private readonly queueLimit: number;
  private readonly active = new Set<Subscription>();
  private readonly durableSlots = new Set<DurableSlot>();
  private isConnected = false;

  constructor(options: MemoryBusOptions = {}, logger: BusLogger = silentLogger) {
    this.broker = options.broker ?? MemoryBroker.shared();
    this.queueLimit = options.deliveryQueueLimit ?? DEFAULT_DELIVERY_QUEUE_LIMIT;
    this.ctx = new DeliveryContext(logger);
  }

  get connected(): boolean {
    return this.isConnected;
  }

  stats(): BusStats {
    return { ...this.ctx.stats };
  }

  /** Never called: the in-process broker cannot be lost. */
  onReconnect(listener: () => void): () => void {
    return this.ctx.onReconnect(listener);
  }

  async connect(): Promise<void> {
    this.isConnected = true;
  }

  async publish(topic: string, envelope: MessageEnvelope): Promise<void> {
    this.assertConnected();
    validateTopic(topic);
    this.broker.publishRaw(topic, encodeEnvelope(envelope));
    this.ctx.stats.published++;
  }

  async subscribe(filter: string, handler: MessageHandler, options: SubscribeOptions = {}): Promise<Subscription> {
    this.assertConnected();
    const compiled = compileTopicFilter(filter);
    const maxInFlight = inFlightLimit(options);
    let endpoint: MemoryEndpoint;
    let detach: () => void;
    if (options.durable) {
      const slot: DurableSlot = this.broker.durable(options.durable, compiled, this.queueLimit);
      this.broker.takeDropped(slot, this.ctx);
      const delivery = new DeliveryQueue(this.ctx, handler, slot.queue, `durable ${slot.name}`, options, maxInFlight);
      endpoint = { filter: compiled, delivery };
      slot.active = endpoint;
      this.durableSlots.add(slot);
      detach = () => {
        this.durableSlots.delete(slot);
        if (slot.active === endpoint) slot.active = undefined;
      };
    } else {
      endpoint = { filter: compiled, delivery: new DeliveryQueue(this.ctx, handler, new BoundedQueue<Delivery>(this.queueLimit), filter, options) };
      this.broker.attach(endpoint);
      detach = () => this.broker.detach(endpoint);
    }

    let done: Promise<void> | undefined;
    const subscription: Subscription = {
      unsubscribe: () =>
        (done ??= (async () => {
          this.active.delete(subscription);
          // A durable subscriber's undelivered messages stay queued in its slot.
          await endpoint.delivery.stop();
          detach();
        })()),
    };
    this.active.add(subscription);
    return subscription;
  }

  request(topic: string, envelope: MessageEnvelope, options: RequestOptions): Promise<MessageEnvelope> {
    return requestReply(this, topic, envelope, options, this.ctx.logger);
  }

  async deleteDurable(name: string): Promise<void> {
    await this.broker.deleteDurable(name);
  }

  async close(): Promise<void> {
    await Promise.all([...this.active].map((s) => s.unsubscribe()));
    this.isConnected = false;
  }

  /**
   * Ends this bus's durable subscriptions as a crash of its process would (a
   * test aid: in one process a real crash takes the broker along): nothing
   * more is handed out, the messages in hand go back to the broker for the
   * next subscriber of the same name, and their handlers' later results
   * acknowledge nothing. close() afterwards does not wait for those handlers.
   */
  crash(): void {
    for (const slot of this.durableSlots) this.broker.abandon(slot);
    this.durableSlots.clear();
  }

  private assertConnected(): void {
    if (!this.isConnected) {
      throw new GatewayError(ErrorKind.Communication, 'in-process message bus is not connected: call connect() first');
    }
  }
}
