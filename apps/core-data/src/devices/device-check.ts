import { ErrorKind, Event, GatewayError, Topics } from '@gw/contracts';
import type { DeviceDirectory, DeviceRef } from '@gw/clients';
import type { EventSource } from '../domain/events.service';
import type { RefusalReason } from '../ingest/ingest-stats';
import { AskBudget, DEFAULT_DEVICE_ASK_RATE } from './ask-budget';

/** Why an event is refused: the reason it is counted under, and a message naming the field. */
export interface Refusal {
  /** `unverified`: core-metadata would have had to be asked, beyond the ask budget. */
  reason: RefusalReason;
  /** The field of the event (or of its topic or URL path) that is wrong, e.g. `event.profileName`. */
  path: string;
  message: string;
}

/** Where the names an event is checked against came from, for messages. */
export type SourceKind = 'topic' | 'URL path';

/** What core-data asks about core-metadata's answers; DeviceSync implements it. */
export interface MetadataState {
  /** False while core-metadata is known not to answer: asking would only wait for a timeout. */
  readonly reachable: boolean;
  /** Tells that an ask got no answer, so the state can go on trying. */
  unreachable(): void;
}

const SLASH = 47;

/**
 * Whether an event really comes from the device it names: its topic (or REST
 * path) names the same profile, device and source as its payload, its
 * readings name its device and profile, and core-metadata knows the device
 * with that profile under the service the topic names.
 *
 * `vouches()` is the hot path: one Map lookup and string comparisons in
 * place, no allocation; it says yes only when everything matches the local
 * view. Anything else goes to `check()`, which finds the exact reason and,
 * when the view does not know the device or knows it differently (a device
 * added or changed a moment ago, before its system event arrived), asks
 * core-metadata once before refusing, within the ask budget: beyond it the
 * event is refused (unverified) at once rather than waiting.
 */
export class DeviceCheck {
  private readonly prefix: string;

  constructor(
    private readonly directory: DeviceDirectory,
    private readonly metadata: MetadataState,
    topics: Topics,
    private readonly budget = new AskBudget(DEFAULT_DEVICE_ASK_RATE),
  ) {
    this.prefix = topics.join('events', 'device', '');
  }

  /** True when the local view vouches for `event` as published on `topic`. */
  vouches(event: Event, topic: string): boolean {
    const device = this.directory.get(event.deviceName);
    if (device === undefined || device.profileName !== event.profileName) return false;
    const prefix = this.prefix;
    if (!topic.startsWith(prefix)) return false;
    let at = level(topic, prefix.length, device.serviceName);
    at = level(topic, at, event.profileName);
    at = level(topic, at, event.deviceName);
    if (at < 0 || !topic.startsWith(event.sourceName, at) || at + event.sourceName.length !== topic.length) return false;
    return readingsAgree(event);
  }

  /**
   * The names a topic carries, decoded where a publisher URL-escaped them (as
   * EdgeX's Go SDK does); a refusal when the topic does not have the four
   * levels service/profile/device/source.
   */
  sourceOfTopic(topic: string): EventSource | Refusal {
    const levels = topic.startsWith(this.prefix) ? topic.slice(this.prefix.length).split('/') : [];
    const names = levels.length === 4 ? levels.map(unescapeLevel) : [];
    if (names.length !== 4 || names.some((name) => name === undefined || name === '')) {
      return {
        reason: 'topicMismatch',
        path: 'topic',
        message: `"${topic}" is not ${this.prefix}{service}/{profile}/{device}/{source}`,
      };
    }
    const [serviceName, profileName, deviceName, sourceName] = names as string[];
    return { serviceName, profileName, deviceName, sourceName };
  }

  /**
   * The full check of an event against where it says it comes from. Resolves
   * with the refusal, or undefined when the event is accepted; rejects with a
   * ServiceUnavailable GatewayError when core-metadata had to be asked and
   * could not answer (the caller decides whether to wait or refuse).
   */
  async check(event: Event, source: EventSource, where: SourceKind): Promise<Refusal | undefined> {
    const mismatch = payloadMismatch(event, source, where);
    if (mismatch) return mismatch;
    const known = this.directory.get(event.deviceName);
    if (known && !judge(known, event, source)) return undefined;
    // Unknown, or known differently: the view may be behind core-metadata, which has the last word.
    if (!this.metadata.reachable) throw cannotAsk(event, 'core-metadata is not reachable');
    if (this.directory.wouldAsk(event.deviceName) && !this.budget.take()) {
      return {
        reason: 'unverified',
        path: 'event.deviceName',
        message:
          `device "${event.deviceName}" would have to be looked up in core-metadata, and core-data makes at most ` +
          `${this.budget.perSecond} such lookups a second (GW_CORE_DATA_DEVICE_ASK_RATE); try again later`,
      };
    }
    let device: DeviceRef | undefined;
    try {
      device = await this.directory.ask(event.deviceName);
    } catch (err) {
      this.metadata.unreachable();
      throw cannotAsk(event, (err as Error).message);
    }
    if (!device) return { reason: 'unknownDevice', path: 'event.deviceName', message: `device "${event.deviceName}" is not known to core-metadata` };
    return judge(device, event, source);
  }
}

/** The next level's start after `name` and a '/', or -1 (also when `at` already is). */
function level(topic: string, at: number, name: string): number {
  if (at < 0 || !topic.startsWith(name, at)) return -1;
  const end = at + name.length;
  return topic.charCodeAt(end) === SLASH ? end + 1 : -1;
}

function readingsAgree(event: Event): boolean {
  for (const reading of event.readings) {
    if (reading.deviceName !== event.deviceName || reading.profileName !== event.profileName) return false;
  }
  return true;
}

/** Valid names never contain '%' (models.ts), so a '%' in a level means the publisher escaped it. */
function unescapeLevel(level: string): string | undefined {
  if (!level.includes('%')) return level;
  try {
    return decodeURIComponent(level);
  } catch {
    return undefined;
  }
}

/** Where the payload disagrees with the names its topic or URL path carries, or its readings with their event. */
export function payloadMismatch(event: Event, source: EventSource, where: SourceKind): Refusal | undefined {
  for (const field of ['profileName', 'deviceName', 'sourceName'] as const) {
    if (event[field] !== source[field]) {
      return { reason: 'topicMismatch', path: `event.${field}`, message: `"${event[field]}" does not match "${source[field]}" in the ${where}` };
    }
  }
  for (let i = 0; i < event.readings.length; i++) {
    const reading = event.readings[i];
    for (const field of ['deviceName', 'profileName'] as const) {
      if (reading[field] !== event[field]) {
        return { reason: 'topicMismatch', path: `event.readings[${i}].${field}`, message: `"${reading[field]}" is not the event's "${event[field]}"` };
      }
    }
  }
  return undefined;
}

/** The refusal when core-metadata's `device` disagrees with the event (payload and source agree already). */
function judge(device: DeviceRef, event: Event, source: EventSource): Refusal | undefined {
  if (device.profileName !== event.profileName) {
    const has = device.profileName ? `profile "${device.profileName}"` : 'no profile';
    return { reason: 'wrongProfile', path: 'event.profileName', message: `"${event.profileName}" is not the profile of device "${device.name}" (core-metadata: ${has})` };
  }
  if (device.serviceName !== source.serviceName) {
    return {
      reason: 'wrongService',
      path: 'serviceName',
      message: `"${source.serviceName}" is not the service of device "${device.name}" (core-metadata: "${device.serviceName}")`,
    };
  }
  return undefined;
}

function cannotAsk(event: Event, why: string): GatewayError {
  return new GatewayError(ErrorKind.ServiceUnavailable, `cannot check device "${event.deviceName}" with core-metadata (${why}); try again later`);
}
