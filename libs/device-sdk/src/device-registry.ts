/**
 * The device service's local view of metadata: its own DeviceService record,
 * its devices, the profiles they use (as ProfileViews) and its provision
 * watchers. Passive: MetadataSync fills it, everything else reads it.
 */
import { Device, DeviceService, ProvisionWatcher } from '@gw/contracts';
import { ProfileView } from './profile-view';

export class DeviceRegistry {
  private service?: DeviceService;
  private readonly devices = new Map<string, Device>();
  private readonly profiles = new Map<string, ProfileView>();
  private readonly watchers = new Map<string, ProvisionWatcher>();
  /** True once the first full load from metadata is done. */
  synced = false;

  constructor(readonly serviceName: string) {}

  setService(service: DeviceService): void {
    this.service = service;
  }

  /** A LOCKED device service refuses commands and runs no autoEvents. */
  get serviceLocked(): boolean {
    return this.service?.adminState === 'LOCKED';
  }

  device(name: string): Device | undefined {
    return this.devices.get(name);
  }

  allDevices(): IterableIterator<Device> {
    return this.devices.values();
  }

  get deviceCount(): number {
    return this.devices.size;
  }

  setDevice(device: Device): void {
    this.devices.set(device.name, device);
  }

  removeDevice(name: string): Device | undefined {
    const device = this.devices.get(name);
    this.devices.delete(name);
    return device;
  }

  /** The profile view of a device, when it has a profile that is loaded. */
  viewOf(device: Device): ProfileView | undefined {
    return device.profileName ? this.profiles.get(device.profileName) : undefined;
  }

  profile(name: string): ProfileView | undefined {
    return this.profiles.get(name);
  }

  setProfile(view: ProfileView): void {
    this.profiles.set(view.name, view);
  }

  removeProfile(name: string): void {
    this.profiles.delete(name);
  }

  devicesUsing(profileName: string): Device[] {
    return [...this.devices.values()].filter((d) => d.profileName === profileName);
  }

  watcher(name: string): ProvisionWatcher | undefined {
    return this.watchers.get(name);
  }

  allWatchers(): ProvisionWatcher[] {
    return [...this.watchers.values()];
  }

  setWatcher(watcher: ProvisionWatcher): void {
    this.watchers.set(watcher.name, watcher);
  }

  removeWatcher(name: string): void {
    this.watchers.delete(name);
  }
}
