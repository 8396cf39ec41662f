import { ErrorKind, GatewayError } from './errors';
/**
 * EdgeX v3 message-bus topic names. Every topic starts with a configurable base
 * (`edgex` by default) so two gateways can share a broker.
 */
export const DEFAULT_TOPIC_BASE = 'edgex';

export const SystemEventType = {
  Device: 'device',
  DeviceProfile: 'deviceprofile',
  DeviceService: 'deviceservice',
  ProvisionWatcher: 'provisionwatcher',
} as const;
export type SystemEventType = (typeof SystemEventType)[keyof typeof SystemEventType];
export type SystemEventAction = 'add' | 'update' | 'delete';

export class Topics {
  constructor(readonly base: string = DEFAULT_TOPIC_BASE) {}

  /** `events/device/{service}/{profile}/{device}/{source}`: what a device service publishes. */
  deviceEvent(service: string, profile: string, device: string, source: string): string {
    return this.join('events', 'device', service, profile, device, source);
  }

  /** `events/core/{service}/{profile}/{device}/{source}`: an event core-data took over REST, published once stored (as EdgeX does). */
  coreEvent(service: string, profile: string, device: string, source: string): string {
    return this.join('events', 'core', service, profile, device, source);
  }

  /** Every event: device services' own and those core-data took over REST (the app service's default). */
  allEvents(): string {
    return this.join('events', '#');
  }

  /** Every device event, for core-data and the app service. */
  allDeviceEvents(): string {
    return this.join('events', 'device', '#');
  }

  /** `device/command/request/{service}/{device}/{command}/{get|set}` */
  commandRequest(service: string, device: string, command: string, method: 'get' | 'set'): string {
    return this.join('device', 'command', 'request', service, device, command, method);
  }

  /** What one device service listens on for commands addressed to it. */
  commandRequestsFor(service: string): string {
    return this.join('device', 'command', 'request', service, '#');
  }

  /** `core/command/request/{device}/{command}/{get|set}`: the command API of core-command over the bus. */
  coreCommandRequest(device: string, command: string, method: 'get' | 'set'): string {
    return this.join('core', 'command', 'request', device, command, method);
  }

  /** What core-command listens on for commands sent over the bus. */
  allCoreCommandRequests(): string {
    return this.join('core', 'command', 'request', '#');
  }

  /**
   * `response/{service}/{requestId}`: the answer to a request addressed to
   * `service` (a device service, or core-command), as EdgeX names it.
   */
  response(service: string, requestId: string): string {
    // A caller-chosen id becomes a topic level: a '/', '+' or '#' would address other topics.
    if (!requestId || /[/+#]/.test(requestId)) {
      throw new GatewayError(ErrorKind.ContractInvalid, `requestID "${requestId}" cannot name a response topic (empty, or contains / + #)`);
    }
    return this.join('response', service, requestId);
  }

  /** `system-events/core-metadata/{type}/{action}/{owner}/{profile}` */
  systemEvent(type: SystemEventType, action: SystemEventAction, owner: string, profile?: string): string {
    const parts = ['system-events', 'core-metadata', type, action, owner];
    if (profile) parts.push(profile);
    return this.join(...parts);
  }

  /** Every metadata system event about one device service's entities. */
  systemEventsFor(owner: string): string {
    return this.join('system-events', 'core-metadata', '+', '+', owner, '#');
  }

  join(...levels: string[]): string {
    return [this.base, ...levels].join('/');
  }
}

/** The SystemEvent DTO EdgeX publishes on system-events topics. */
export interface SystemEvent {
  apiVersion: string;
  type: SystemEventType;
  action: SystemEventAction;
  source: string;
  owner: string;
  tags?: Record<string, string>;
  details: unknown;
  timestamp: number;
}
