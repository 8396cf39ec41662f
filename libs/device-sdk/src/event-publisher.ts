/**
 * Turns readings into EdgeX events on the bus. Publishing never blocks the
 * caller (a slow or absent broker must not stall polling): at most
 * `maxInFlight` publishes wait for the broker; beyond that new events are
 * dropped and counted. Failures are logged (throttled) and counted, never thrown.
 */
import { randomUUID } from 'node:crypto';
import { API_VERSION, Clock, Event, Reading, Topics } from '@gw/contracts';
import { MessageBus, newEnvelope } from '@gw/messaging';
import { LogThrottle, SdkLogger } from './log';

export interface PublisherStats {
  published: number;
  failed: number;
  dropped: number;
  inFlight: number;
}

export const DEFAULT_MAX_IN_FLIGHT = 5_000;

/** The EdgeX AddEventRequest DTO a device service publishes. */
export interface AddEventRequest {
  apiVersion: string;
  requestId: string;
  event: Event;
}

export function buildEvent(deviceName: string, profileName: string, sourceName: string, origin: number, readings: Reading[]): Event {
  return { apiVersion: API_VERSION, id: randomUUID(), deviceName, profileName, sourceName, origin, readings };
}

export class EventPublisher {
  private readonly counters = { published: 0, failed: 0, dropped: 0 };
  private inFlight = 0;
  private readonly throttle: LogThrottle;
  private idle: Array<() => void> = [];

  constructor(
    private readonly bus: MessageBus,
    private readonly topics: Topics,
    private readonly serviceName: string,
    private readonly logger: SdkLogger,
    clock: Clock,
    private readonly maxInFlight = DEFAULT_MAX_IN_FLIGHT,
  ) {
    this.throttle = new LogThrottle(clock);
  }

  stats(): PublisherStats {
    return { ...this.counters, inFlight: this.inFlight };
  }

  /** Queues the event for the bus; returns false when it was dropped because too many are waiting. */
  publish(event: Event): boolean {
    if (this.inFlight >= this.maxInFlight) {
      this.counters.dropped++;
      const suppressed = this.throttle.allow('dropped');
      if (suppressed !== undefined) {
        this.logger.warn(
          { maxInFlight: this.maxInFlight, dropped: this.counters.dropped, suppressed },
          'events dropped: the message bus is not keeping up',
        );
      }
      return false;
    }
    const topic = this.topics.deviceEvent(this.serviceName, event.profileName, event.deviceName, event.sourceName);
    const body: AddEventRequest = { apiVersion: API_VERSION, requestId: randomUUID(), event };
    this.inFlight++;
    this.bus
      .publish(topic, newEnvelope(body))
      .then(
        () => void this.counters.published++,
        (err: unknown) => {
          this.counters.failed++;
          const suppressed = this.throttle.allow('failed');
          if (suppressed !== undefined) {
            this.logger.warn({ topic, err: (err as Error).message, failed: this.counters.failed, suppressed }, 'event not published');
          }
        },
      )
      .finally(() => {
        this.inFlight--;
        if (this.inFlight === 0) for (const resolve of this.idle.splice(0)) resolve();
      });
    return true;
  }

  /** Resolves once every queued publish has settled (used at shutdown). */
  drain(): Promise<void> {
    return this.inFlight === 0 ? Promise.resolve() : new Promise((resolve) => this.idle.push(resolve));
  }
}
