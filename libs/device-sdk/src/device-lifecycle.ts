/**
 * What happens around the registry when metadata says a device, profile,
 * watcher or the service itself changed: the driver hears about it
 * (addDevice/updateDevice/removeDevice), the operating-state tracker adopts
 * metadata's copy, the onChange memory is reset, and the device's autoEvents
 * are started, rebuilt or stopped.
 */
import { Device, ProvisionWatcher } from '@gw/contracts';
import { NO_READ_OBSERVER, ReadObserver } from './device-metrics';
import { DeviceRegistry } from './device-registry';
import type { ProtocolDriver } from './driver/protocol-driver';
import type { SdkLogger } from './log';
import type { OnChangeFilter } from './on-change-filter';
import type { OperatingStateTracker } from './operating-state';
import type { AutoEventScheduler } from './scheduler';

/** What MetadataSync reports, after it has updated the registry. */
export interface SyncListener {
  devicePut(device: Device, previous: Device | undefined): Promise<void>;
  deviceRemoved(device: Device): Promise<void>;
  profileChanged(profileName: string): Promise<void>;
  watcherChanged(watcher: ProvisionWatcher): void;
  serviceChanged(): void;
}

export class DeviceLifecycle implements SyncListener {
  constructor(
    private readonly registry: DeviceRegistry,
    private readonly driver: ProtocolDriver,
    private readonly tracker: OperatingStateTracker,
    private readonly onChange: OnChangeFilter,
    private readonly scheduler: AutoEventScheduler,
    private readonly logger: SdkLogger,
    private readonly observer: ReadObserver = NO_READ_OBSERVER,
  ) {}

  async devicePut(device: Device, previous: Device | undefined): Promise<void> {
    this.tracker.observed(device);
    // Our own operatingState reports come back as device updates: the driver need not hear about those.
    if (!previous || driverView(previous) !== driverView(device)) {
      const profile = this.registry.viewOf(device)?.profile;
      try {
        if (previous) await this.driver.updateDevice(device, profile);
        else await this.driver.addDevice(device, profile);
      } catch (err) {
        this.logger.error(
          { device: device.name, err: (err as Error).message },
          `the driver refused device ${device.name}; its commands and autoEvents will fail until it is fixed in core-metadata`,
        );
      }
      if (previous && previous.profileName !== device.profileName) this.onChange.forgetDevice(device.name);
    }
    this.scheduler.sync(device.name);
  }

  async deviceRemoved(device: Device): Promise<void> {
    this.scheduler.sync(device.name);
    this.tracker.forget(device.name);
    this.onChange.forgetDevice(device.name);
    this.observer.forget(device.name);
    try {
      await this.driver.removeDevice(device);
    } catch (err) {
      this.logger.warn({ device: device.name, err: (err as Error).message }, 'the driver failed to remove a device');
    }
  }

  async profileChanged(profileName: string): Promise<void> {
    for (const device of this.registry.devicesUsing(profileName)) {
      try {
        await this.driver.updateDevice(device, this.registry.viewOf(device)?.profile);
      } catch (err) {
        this.logger.error({ device: device.name, profile: profileName, err: (err as Error).message }, 'the driver refused a device after its profile changed');
      }
      this.scheduler.sync(device.name);
    }
  }

  watcherChanged(watcher: ProvisionWatcher): void {
    this.driver.provisionWatcherChanged?.(watcher);
  }

  serviceChanged(): void {
    this.scheduler.syncAll();
  }
}

/** The device as a driver sees it: everything but the fields only the SDK or metadata care about. */
function driverView(device: Device): string {
  const { operatingState: _o, modified: _m, created: _c, ...rest } = device;
  return JSON.stringify(rest);
}
