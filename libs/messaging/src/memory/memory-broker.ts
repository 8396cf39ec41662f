import { ErrorKind, GatewayError } from '@gw/contracts';
import { BoundedQueue } from '../bounded-queue';
import type { Delivery, DeliveryContext, DeliveryQueue } from '../delivery';
import { BusLogger, silentLogger } from '../logger';
import type { TopicFilter } from '../topic-filter';

/** A live subscription of some MemoryMessageBus. */
export interface MemoryEndpoint {
  readonly filter: TopicFilter;
  readonly delivery: DeliveryQueue;
}

/** Broker-side state of a durable subscriber; it outlives the bus that created it. */
export interface DurableSlot {
  readonly name: string;
  filter: TopicFilter;
  readonly queue: BoundedQueue<Delivery>;
  active?: MemoryEndpoint;
  droppedWhileAway: number;
}

/**
 * The in-process "broker" behind every MemoryMessageBus of one process. In the
 * one-process gateway each service creates its own bus; they meet here, and
 * durable queues live here, as they would in Mosquitto or Redis.
 */
export class MemoryBroker {
  private static sharedBroker?: MemoryBroker;
  private readonly endpoints = new Set<MemoryEndpoint>();
  private readonly durables = new Map<string, DurableSlot>();

  constructor(private readonly logger: BusLogger = silentLogger) {}

  /** The process-wide broker that buses use unless given their own. */
  static shared(): MemoryBroker {
    return (this.sharedBroker ??= new MemoryBroker());
  }

  /** Routes raw bytes exactly as a publisher's would be; also how tests put bad input on the "wire". */
  publishRaw(topic: string, data: Buffer | string): void {
    const delivery: Delivery = { topic, data };
    for (const endpoint of this.endpoints) {
      if (endpoint.filter.matches(topic)) endpoint.delivery.push(delivery);
    }
    for (const slot of this.durables.values()) {
      if (!slot.filter.matches(topic)) continue;
      if (slot.active) {
        slot.active.delivery.push(delivery);
      } else if (slot.queue.push(delivery).dropped) {
        slot.droppedWhileAway++;
        // Once per power of ten: enough to notice, never a flood.
        if (Number.isInteger(Math.log10(slot.droppedWhileAway))) {
          this.logger.warn(
            {
              durable: slot.name,
              limit: slot.queue.limit,
              droppedWhileAway: slot.droppedWhileAway,
            },
            'in-process bus: durable subscriber is away and its queue is full; dropping oldest',
          );
        }
      }
    }
  }

  attach(endpoint: MemoryEndpoint): void {
    this.endpoints.add(endpoint);
  }

  detach(endpoint: MemoryEndpoint): void {
    this.endpoints.delete(endpoint);
  }

  /** The durable slot for `name`, created on first use with the given bound. */
  durable(name: string, filter: TopicFilter, queueLimit: number): DurableSlot {
    let slot = this.durables.get(name);
    if (!slot) {
      slot = { name, filter, queue: new BoundedQueue<Delivery>(queueLimit), droppedWhileAway: 0 };
      this.durables.set(name, slot);
    }
    if (slot.active) {
      throw new GatewayError(ErrorKind.DuplicateName, `durable subscriber "${name}" is already active`);
    }
    slot.filter = filter;
    return slot;
  }

  /** Reports and resets what a returning durable subscriber lost while away. */
  takeDropped(slot: DurableSlot, ctx: DeliveryContext): void {
    if (slot.droppedWhileAway === 0) return;
    ctx.dropped(`durable ${slot.name}`, slot.droppedWhileAway);
    slot.droppedWhileAway = 0;
  }

  /**
   * Detaches the active subscriber of a durable slot as if its process had
   * died: its messages in hand go back to the front of the slot's queue, for
   * the next subscriber with the same name (the oldest are dropped and counted
   * should the queue be full).
   */
  abandon(slot: DurableSlot): void {
    const endpoint = slot.active;
    if (!endpoint) return;
    slot.active = undefined;
    const inHand = endpoint.delivery.abandon();
    for (let i = inHand.length - 1; i >= 0; i--) {
      if (slot.queue.unshift(inHand[i]).dropped) slot.droppedWhileAway++;
    }
  }

  async deleteDurable(name: string): Promise<void> {
    const slot = this.durables.get(name);
    if (!slot) return;
    this.durables.delete(name);
    await slot.active?.delivery.stop();
    slot.queue.clear();
  }
}
