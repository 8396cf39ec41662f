import { API_VERSION, SystemEvent, SystemEventAction, SystemEventType, Topics } from '@gw/contracts';
import { MessageBus, newEnvelope } from '@gw/messaging';

/** The part of the service's (pino) logger this needs. */
export interface EventLog {
  warn(context: object, message?: string): void;
}

/**
 * Tells device services (and anyone else on the bus) what changed in metadata,
 * on EdgeX's system-event topics. The change is already committed when this
 * runs, so a bus failure is logged and counted, never turned into a failed
 * request: device services also resynchronise from REST when they start.
 */
export class SystemEventPublisher {
  failures = 0;

  constructor(
    private readonly bus: MessageBus,
    private readonly topics: Topics,
    private readonly log: EventLog,
  ) {}

  async publish(
    type: SystemEventType,
    action: SystemEventAction,
    owner: string,
    profile: string | undefined,
    details: unknown,
  ): Promise<void> {
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
    try {
      await this.bus.publish(topic, newEnvelope(event));
    } catch (err) {
      this.failures++;
      this.log.warn({ topic, error: (err as Error).message }, 'system event not published');
    }
  }
}
