import { API_VERSION, SystemEvent, SystemEventAction, SystemEventType, Topics } from '@gw/contracts';
import { MessageBus, newEnvelope } from '@gw/messaging';

/** The part of the service's (pino) logger this needs. */
export interface EventLog {
  warn(context: object, message?: string): void;
}

/**
 * Tells device services (and anyone else on the bus) what changed in metadata,
 * on EdgeX's system-event topics. The change is already committed when this
 * runs, so the request does not wait for the broker: during an outage the bus
 * queues the event (bounded, in order) and a failure is only logged. Device
 * services also resynchronise from REST when they start.
 */
export class SystemEventPublisher {
  constructor(
    private readonly bus: MessageBus,
    private readonly topics: Topics,
    private readonly log: EventLog,
  ) {}

  publish(
    type: SystemEventType,
    action: SystemEventAction,
    owner: string,
    profile: string | undefined,
    details: unknown,
  ): void {
    const event: SystemEvent = {
      apiVersion: API_VERSION,
      type,
      action,
      source: 'core-metadata',
      owner,
      details,
      timestamp: Date.now() * 1_000_000,
    };
    const topic = this.topics.systemEvent(type, action, owner, profile);
    this.bus.publish(topic, newEnvelope(event)).catch((err: Error) => {
      this.log.warn({ topic, error: err.message }, 'system event not published');
    });
  }
}
