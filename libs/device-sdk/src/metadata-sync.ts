/**
 * Keeps the registry in step with core-metadata. At start it registers the
 * device service (keeping an operator's adminState), then loads its devices,
 * their profiles and its provision watchers, retrying with backoff while
 * metadata is unreachable (under docker compose it may come up later). It
 * subscribes to metadata's system events *before* loading and replays those
 * that arrived meanwhile, so nothing changed during the load is lost; after
 * that every add, update and delete applies without a restart. Events are
 * applied one at a time, in arrival order.
 */
import {
  backoffDelay,
  Clock,
  delay as delayFor,
  DeviceService,
  ErrorKind,
  GatewayError,
  isUnreachable,
  SystemEvent,
  Topics,
  validateDevice,
  validateDeviceProfile,
  validateDeviceService,
  validateProvisionWatcher,
} from '@gw/contracts';
import type { MetadataClient } from '@gw/clients';
import { MessageBus, MessageEnvelope, Subscription } from '@gw/messaging';
import type { SyncListener } from './device-lifecycle';
import { DeviceRegistry } from './device-registry';
import type { SdkLogger } from './log';
import { ProfileView } from './profile-view';

export type MetadataPort = Pick<
  MetadataClient,
  'deviceService' | 'registerDeviceService' | 'devicesOfService' | 'profile' | 'watchersOfService' | 'device' | 'addDevice' | 'patchDevice' | 'addProfile'
>;

export interface RetryPolicy {
  /** First delay after a failed attempt (default 1 s); doubles up to maxMs, ±20% jitter. */
  initialMs: number;
  /** Longest delay between attempts (default 30 s). */
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { initialMs: 1_000, maxMs: 30_000 };

export interface Registration {
  serviceName: string;
  /** Where core-command reaches this service, e.g. http://device-virtual:59900. */
  baseAddress: string;
  description?: string;
  labels?: string[];
}

/** More queued system events than this means something is badly wrong; further ones are dropped and logged. */
const MAX_QUEUED_EVENTS = 10_000;

export class MetadataSync {
  private readonly subscriptions: Subscription[] = [];
  private buffered: SystemEvent[] | undefined = [];
  private chain: Promise<void> = Promise.resolve();
  private queued = 0;
  private closed = false;
  /** Ends a back-off wait at once when closed. */
  private readonly closing = new AbortController();

  constructor(
    private readonly registration: Registration,
    private readonly registry: DeviceRegistry,
    private readonly metadata: MetadataPort,
    private readonly bus: MessageBus,
    private readonly topics: Topics,
    private readonly listener: SyncListener,
    private readonly clock: Clock,
    private readonly logger: SdkLogger,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
  ) {}

  /**
   * Subscribes, registers and loads, retrying until it all succeeds; never
   * rejects. Resolves once the registry is synchronised, or when close()
   * ends the attempts first.
   */
  async start(): Promise<void> {
    let subscribed = false;
    for (let attempt = 1; !this.closed; attempt++) {
      try {
        if (!subscribed) subscribed = await this.subscribe();
        await this.register();
        await this.load();
        break;
      } catch (err) {
        if (this.closed) return;
        const delay = backoffDelay(attempt, this.retry.initialMs, this.retry.maxMs);
        const unreachable = isUnreachable(err);
        this.logger[unreachable ? 'warn' : 'error'](
          { attempt, retryInMs: delay, err: (err as Error).message },
          unreachable
            ? `core-metadata is not reachable yet; retrying in ${Math.round(delay / 100) / 10} s`
            : `core-metadata refused the registration or the load; retrying in ${Math.round(delay / 100) / 10} s`,
        );
        await delayFor(delay, this.clock, this.closing.signal);
      }
    }
    if (this.closed) return;
    const pending = this.buffered ?? [];
    this.buffered = undefined;
    for (const event of pending) this.enqueue(event);
    await this.chain;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.closing.abort();
    await Promise.all(this.subscriptions.splice(0).map((s) => s.unsubscribe().catch(() => undefined)));
    await this.chain;
  }

  /** Resolves once every system event received so far has been applied (tests, shutdown). */
  idle(): Promise<void> {
    return this.chain;
  }

  /** Subscribes to every system event the service follows (again from scratch after a partial failure). */
  private async subscribe(): Promise<true> {
    await Promise.all(this.subscriptions.splice(0).map((s) => s.unsubscribe().catch(() => undefined)));
    const onEvent = (envelope: MessageEnvelope) => this.received(envelope);
    const base = ['system-events', 'core-metadata'];
    this.subscriptions.push(
      await this.bus.subscribe(this.topics.systemEventsFor(this.registration.serviceName), onEvent),
      await this.bus.subscribe(this.topics.join(...base, 'deviceprofile', '#'), onEvent),
      // A device moved to another service is announced to its new owner only: watch updates of every device to notice.
      await this.bus.subscribe(this.topics.join(...base, 'device', 'update', '#'), (envelope) => {
        if ((envelope.payload as SystemEvent | undefined)?.owner !== this.registration.serviceName) this.received(envelope);
      }),
    );
    return true;
  }

  private async register(): Promise<void> {
    const { serviceName, baseAddress, description, labels } = this.registration;
    let existing: DeviceService | undefined;
    try {
      existing = await this.metadata.deviceService(serviceName);
    } catch (err) {
      if (!GatewayError.is(err, ErrorKind.EntityNotFound)) throw err;
    }
    if (existing) {
      // Re-registration updates the address but keeps what an operator set (adminState, labels).
      const { id: _i, created: _c, modified: _m, ...kept } = existing;
      await this.metadata.registerDeviceService({ ...kept, baseAddress });
    } else {
      await this.metadata.registerDeviceService({ name: serviceName, baseAddress, description, labels, adminState: 'UNLOCKED' });
    }
    this.registry.setService(await this.metadata.deviceService(serviceName));
    this.logger.info({ baseAddress, adminState: this.registry.serviceLocked ? 'LOCKED' : 'UNLOCKED' }, 'registered with core-metadata');
  }

  private async load(): Promise<void> {
    const devices = await this.metadata.devicesOfService(this.registration.serviceName);
    const watchers = await this.metadata.watchersOfService(this.registration.serviceName);
    const profileNames = new Set(devices.map((d) => d.profileName).filter((p): p is string => Boolean(p)));
    const profiles = await Promise.all([...profileNames].map((name) => this.metadata.profile(name)));
    for (const profile of profiles) this.registry.setProfile(new ProfileView(profile));
    for (const watcher of watchers) this.registry.setWatcher(watcher);
    for (const device of devices) {
      const previous = this.registry.device(device.name);
      this.registry.setDevice(device);
      await this.listener.devicePut(device, previous);
    }
    this.registry.synced = true;
    this.logger.info(
      { devices: devices.length, profiles: profiles.length, provisionWatchers: watchers.length },
      'loaded devices from core-metadata',
    );
  }

  private received(envelope: MessageEnvelope): void {
    const event = envelope.payload as SystemEvent;
    if (!event || typeof event !== 'object' || typeof event.type !== 'string') {
      this.logger.warn({ topic: envelope.receivedTopic }, 'system event without a SystemEvent payload ignored');
      return;
    }
    if (this.buffered) {
      if (this.buffered.length < MAX_QUEUED_EVENTS) this.buffered.push(event);
      else this.logger.error({ type: event.type, action: event.action }, 'system event dropped: too many arrived during the load');
      return;
    }
    this.enqueue(event);
  }

  private enqueue(event: SystemEvent): void {
    if (this.queued >= MAX_QUEUED_EVENTS) {
      this.logger.error({ type: event.type, action: event.action }, 'system event dropped: too many waiting');
      return;
    }
    this.queued++;
    this.chain = this.chain
      .then(() => this.apply(event))
      .catch((err: unknown) => {
        this.logger.error({ type: event.type, action: event.action, err: (err as Error).message }, 'system event could not be applied');
      })
      .finally(() => void this.queued--);
  }

  private async apply(event: SystemEvent): Promise<void> {
    if (this.closed) return;
    this.logger.debug({ type: event.type, action: event.action, owner: event.owner }, 'system event');
    switch (event.type) {
      case 'device':
        return this.applyDevice(event);
      case 'deviceprofile':
        return this.applyProfile(event);
      case 'provisionwatcher':
        return this.applyWatcher(event);
      case 'deviceservice':
        return this.applyService(event);
    }
  }

  private async applyDevice(event: SystemEvent): Promise<void> {
    const device = validateDevice(event.details, { source: 'system event' });
    const ours = device.serviceName === this.registration.serviceName;
    if (event.action === 'delete' || !ours) {
      const known = this.registry.device(device.name);
      if (!known) return;
      this.registry.removeDevice(device.name);
      if (known.profileName && this.registry.devicesUsing(known.profileName).length === 0) this.registry.removeProfile(known.profileName);
      await this.listener.deviceRemoved(known);
      this.logger.info({ device: device.name, reason: ours ? 'deleted' : `moved to ${device.serviceName}` }, 'device removed');
      return;
    }
    // A PATCH by id may rename a device: the old name goes.
    const renamed = device.id ? [...this.registry.allDevices()].find((d) => d.id === device.id && d.name !== device.name) : undefined;
    if (renamed) {
      this.registry.removeDevice(renamed.name);
      await this.listener.deviceRemoved(renamed);
    }
    if (device.profileName && !this.registry.profile(device.profileName)) {
      try {
        this.registry.setProfile(new ProfileView(await this.metadata.profile(device.profileName)));
      } catch (err) {
        // Keep the device: its commands answer 423 "profile not loaded" until the next change of it or its profile.
        this.logger.error(
          { device: device.name, profile: device.profileName, err: (err as Error).message },
          'could not load the profile of a device from core-metadata',
        );
      }
    }
    const previous = this.registry.device(device.name);
    this.registry.setDevice(device);
    await this.listener.devicePut(device, previous);
    if (!previous) this.logger.info({ device: device.name, profile: device.profileName }, 'device added');
  }

  private async applyProfile(event: SystemEvent): Promise<void> {
    const profile = validateDeviceProfile(event.details, { source: 'system event' });
    if (event.action === 'delete') {
      this.registry.removeProfile(profile.name);
      return;
    }
    // Only profiles our devices use are kept; the others are fetched when a device needs them.
    // Forget an unused one, so a device added later never runs on a stale copy.
    if (this.registry.devicesUsing(profile.name).length === 0) {
      this.registry.removeProfile(profile.name);
      return;
    }
    this.registry.setProfile(new ProfileView(profile));
    await this.listener.profileChanged(profile.name);
    this.logger.info({ profile: profile.name }, 'profile updated');
  }

  private async applyWatcher(event: SystemEvent): Promise<void> {
    const watcher = validateProvisionWatcher(event.details, { source: 'system event' });
    if (event.action === 'delete') this.registry.removeWatcher(watcher.name);
    else this.registry.setWatcher(watcher);
    this.listener.watcherChanged(watcher);
  }

  private async applyService(event: SystemEvent): Promise<void> {
    const service = validateDeviceService(event.details, { source: 'system event' });
    if (service.name !== this.registration.serviceName) return;
    if (event.action === 'delete') {
      this.logger.warn({}, `device service ${service.name} was deleted from core-metadata; it is registered again at the next start`);
      return;
    }
    const wasLocked = this.registry.serviceLocked;
    this.registry.setService(service);
    if (wasLocked !== this.registry.serviceLocked) {
      this.logger.info({ adminState: service.adminState }, `device service is now ${service.adminState}`);
    }
    this.listener.serviceChanged();
  }

}

