import { Clock, Device, ErrorKind, GatewayError, SystemEvent, systemClock, validateDevice } from '@gw/contracts';
import type { MetadataClient } from './metadata-client';

/** What a service needs to know about a device to tell whether a message really is that device's. */
export interface DeviceRef {
  name: string;
  id?: string;
  serviceName: string;
  profileName?: string;
}

export type DirectoryPort = Pick<MetadataClient, 'device' | 'allDevices'>;

export interface DeviceDirectoryOptions {
  /** A name asked about is not asked again for this long: the answer (found or not) stands (default 5 s). */
  recheckAfterMs?: number;
  /** At most this many recently asked names are remembered; the oldest are forgotten first (default 10,000). */
  maxRemembered?: number;
  clock?: Clock;
}

/** System events arriving during a load beyond this many mean something is badly wrong; the load's result is then dropped. */
const MAX_BUFFERED = 10_000;

/**
 * Every device core-metadata knows, by name, with its service and profile: a
 * local view a service checks per message with one Map lookup. It is filled
 * by `load()` (every device, page by page) and kept current by `apply()`,
 * which the owner calls with each of metadata's device system events; events
 * that arrive during a load are applied after it, in order, so the load's
 * older snapshot never undoes them. A name the view does not know (or knows
 * differently) can be `ask()`ed about: one request per name at a time, and
 * the answer stands for `recheckAfterMs`, so a flood of unknown names costs
 * metadata at most one request per name per interval.
 */
export class DeviceDirectory {
  private devices = new Map<string, DeviceRef>();
  private namesById = new Map<string, string>();
  private buffered: SystemEvent[] | undefined;
  private bufferOverflow = false;
  private readonly asking = new Map<string, Promise<DeviceRef | undefined>>();
  /** Name → monotonic ms of the last answer from metadata about it (Map order = age). */
  private readonly answeredAt = new Map<string, number>();
  /** Bumped by every applied system event and load: a lookup that started before one may carry a stale answer. */
  private changes = 0;
  private everLoaded = false;
  private readonly recheckAfterMs: number;
  private readonly maxRemembered: number;
  private readonly clock: Clock;

  constructor(
    private readonly metadata: DirectoryPort,
    options: DeviceDirectoryOptions = {},
  ) {
    this.recheckAfterMs = options.recheckAfterMs ?? 5_000;
    this.maxRemembered = options.maxRemembered ?? 10_000;
    this.clock = options.clock ?? systemClock;
  }

  /** True once a load succeeded: from then on a name missing from the view is probably unknown to metadata. */
  get loaded(): boolean {
    return this.everLoaded;
  }

  get size(): number {
    return this.devices.size;
  }

  /** The hot path: what the view holds for `name`, without asking anyone. */
  get(name: string): DeviceRef | undefined {
    return this.devices.get(name);
  }

  /**
   * Reads every device from metadata and makes that the view, then applies
   * the system events that arrived meanwhile. Rejects (leaving the view as it
   * was, with those events applied) when metadata cannot be read.
   */
  async load(): Promise<number> {
    if (this.buffered) throw new GatewayError(ErrorKind.StatusConflict, 'a device load is already running');
    this.buffered = [];
    this.bufferOverflow = false;
    let loaded: Device[] | undefined;
    try {
      loaded = await this.metadata.allDevices();
    } finally {
      const pending = this.buffered;
      this.buffered = undefined;
      if (loaded && !this.bufferOverflow) this.replaceWith(loaded);
      for (const event of pending) this.apply(event);
    }
    if (this.bufferOverflow) {
      throw new GatewayError(ErrorKind.ServiceUnavailable, `more than ${MAX_BUFFERED} device changes arrived during the load; load again`);
    }
    this.everLoaded = true;
    return this.devices.size;
  }

  /**
   * Applies one of metadata's system events (other types than `device` are
   * ignored). Throws a ValidationError when a device event carries no device.
   */
  apply(event: SystemEvent): void {
    if (event.type !== 'device') return;
    const device = validateDevice(event.details, { source: 'system event' });
    if (this.buffered) {
      if (this.buffered.length < MAX_BUFFERED) this.buffered.push({ ...event, details: device });
      else this.bufferOverflow = true;
      return;
    }
    this.changes++;
    // As fresh as an answer to ask(): it stands for recheckAfterMs.
    this.remember(device.name);
    if (event.action === 'delete') {
      this.remove(device.name);
      return;
    }
    this.put(toRef(device));
  }

  /**
   * Asks metadata about `name` unless it answered within recheckAfterMs, in
   * which case the view's answer stands. Resolves with the device, or
   * undefined when metadata does not know it (404); rejects with metadata's
   * error when it cannot answer (unreachable, timeout, refused). Concurrent
   * asks for one name share one request.
   */
  ask(name: string): Promise<DeviceRef | undefined> {
    if (this.answeredRecently(name)) return Promise.resolve(this.devices.get(name));
    let pending = this.asking.get(name);
    if (!pending) {
      pending = this.fetch(name).finally(() => this.asking.delete(name));
      this.asking.set(name, pending);
    }
    return pending;
  }

  /** Whether `ask(name)` would send a request to metadata now (no recent answer, none under way). */
  wouldAsk(name: string): boolean {
    return !this.answeredRecently(name) && !this.asking.has(name);
  }

  private answeredRecently(name: string): boolean {
    const answered = this.answeredAt.get(name);
    return answered !== undefined && this.clock.monotonicMs() - answered < this.recheckAfterMs;
  }

  private async fetch(name: string): Promise<DeviceRef | undefined> {
    const changesBefore = this.changes;
    let found: DeviceRef | undefined;
    try {
      found = toRef(await this.metadata.device(name));
    } catch (err) {
      if (!GatewayError.is(err, ErrorKind.EntityNotFound)) throw err;
    }
    // A system event applied meanwhile is newer than this answer: the view keeps it.
    if (this.changes === changesBefore && !this.buffered) {
      if (found) this.put(found);
      else this.remove(name);
      this.remember(name);
    }
    return found;
  }

  private remember(name: string): void {
    this.answeredAt.delete(name);
    if (this.answeredAt.size >= this.maxRemembered) this.answeredAt.delete(this.answeredAt.keys().next().value as string);
    this.answeredAt.set(name, this.clock.monotonicMs());
  }

  private put(ref: DeviceRef): void {
    // A PATCH by id may rename a device: the old name goes.
    const formerName = ref.id ? this.namesById.get(ref.id) : undefined;
    if (formerName !== undefined && formerName !== ref.name) this.devices.delete(formerName);
    this.devices.set(ref.name, ref);
    if (ref.id) this.namesById.set(ref.id, ref.name);
  }

  private remove(name: string): void {
    const known = this.devices.get(name);
    if (!known) return;
    this.devices.delete(name);
    if (known.id && this.namesById.get(known.id) === name) this.namesById.delete(known.id);
  }

  private replaceWith(devices: Device[]): void {
    this.changes++;
    this.devices = new Map();
    this.namesById = new Map();
    for (const device of devices) this.put(toRef(device));
  }
}

function toRef(device: Device): DeviceRef {
  return { name: device.name, id: device.id, serviceName: device.serviceName ?? '', profileName: device.profileName };
}
