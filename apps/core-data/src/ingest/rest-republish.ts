/**
 * What EdgeX's core-data does with an event it takes over REST: once stored,
 * it is published on `events/core/{service}/{profile}/{device}/{source}`, so
 * app services (which read `events/#`) see REST-ingested events as they see
 * device services' own (`events/device/...`, which core-data itself reads; it
 * never reads `events/core`, so nothing loops). The REST answer does not wait
 * for the broker: a publish that fails is logged (throttled) and counted.
 */
import { randomUUID } from 'node:crypto';
import { API_VERSION, AddEventRequest, Event, Topics } from '@gw/contracts';
import { MessageBus, newEnvelope, ThrottledLog } from '@gw/messaging';
import type { Logger } from '@gw/service-kit';
import type { EventSource } from '../domain/events.service';

export class RestEventRepublisher {
  /** Publishes that failed (the event is stored all the same). */
  failures = 0;
  private readonly log: ThrottledLog;

  constructor(
    private readonly bus: MessageBus,
    private readonly topics: Topics,
    logger: Logger,
  ) {
    this.log = new ThrottledLog((o, m) => logger.warn(o, m));
  }

  stored(event: Event, source: EventSource): void {
    const topic = this.topics.coreEvent(source.serviceName, source.profileName, source.deviceName, source.sourceName);
    const request: AddEventRequest = { apiVersion: API_VERSION, requestId: randomUUID(), event };
    this.bus.publish(topic, newEnvelope(request)).catch((err: unknown) => {
      this.failures++;
      this.log.write({ topic, eventId: event.id, err: (err as Error).message, failuresTotal: this.failures }, 'core-data: could not publish a REST-ingested event on the bus (it is stored)');
    });
  }
}
