import {
  Device,
  ErrorKind,
  GatewayError,
  SystemEventType,
  ValidationError,
  checkDeviceAgainstProfile,
  validateDevice,
  Page,
} from '@gw/contracts';
import { LabelledPageQuery, RefFilter } from '../persistence/document-store';
import { MetadataRepository, MetadataStores } from '../persistence/metadata-stores';
import { applyPatch, stripIdentity } from './patch';
import { SystemEventPublisher } from './system-events';

export class DevicesService {
  constructor(
    private readonly repo: MetadataRepository,
    private readonly events: SystemEventPublisher,
  ) {}

  /**
   * Adds a device whose service and profile exist and whose autoEvents name
   * sources of that profile. With `force`, an existing device of that name is
   * replaced instead (EdgeX's `force=true`).
   */
  async add(input: unknown, options: { path?: string; force?: boolean } = {}): Promise<Device> {
    const path = options.path ?? 'device';
    const device = validateDevice(stripIdentity(input), { path });
    const { stored, action } = await this.repo.transaction(async (stores) => {
      await this.checkReferences(stores, device, path);
      const existing = options.force ? await stores.devices.findByName(device.name) : undefined;
      if (existing) return { stored: await stores.devices.replace({ ...device, id: existing.id! }), action: 'update' as const };
      return { stored: await stores.devices.insert(device), action: 'add' as const };
    });
    this.publish(action, stored);
    return stored;
  }

  /** EdgeX PATCH: the device is found by id or name; fields present replace the stored ones. */
  async patch(input: unknown, path = 'device'): Promise<Device> {
    const { previous, stored } = await this.repo.transaction(async (stores) => {
      const { current, merged } = await applyPatch(stores.devices, input, path);
      const device = validateDevice(merged, { path });
      await this.checkReferences(stores, device, path);
      return { previous: current, stored: await stores.devices.replace({ ...device, id: current.id! }) };
    });
    // Events are addressed to the owning service: a device moved to another one is gone for the old owner.
    if (previous.serviceName !== stored.serviceName) this.publish('delete', previous);
    this.publish('update', stored);
    return stored;
  }

  get(name: string): Promise<Device> {
    return this.repo.read.devices.getByName(name);
  }

  getById(id: string): Promise<Device> {
    return this.repo.read.devices.getById(id);
  }

  page(query: LabelledPageQuery, filter: RefFilter = {}): Promise<Page<Device>> {
    return this.repo.read.devices.page(query, filter);
  }

  async delete(name: string): Promise<void> {
    const device = await this.repo.transaction((stores) => stores.devices.deleteByName(name));
    this.publish('delete', device);
  }

  private async checkReferences(stores: MetadataStores, device: Device, path: string): Promise<void> {
    if (!device.serviceName) {
      throw new ValidationError([{ path: `${path}.serviceName`, message: 'is required' }]);
    }
    if (!(await stores.services.exists(device.serviceName))) {
      throw new GatewayError(ErrorKind.EntityNotFound, `${path}.serviceName: device service '${device.serviceName}' does not exist`);
    }
    if (!device.profileName) {
      if (device.autoEvents?.length) {
        throw new ValidationError([{ path: `${path}.autoEvents`, message: 'need a profileName to refer to' }]);
      }
      return;
    }
    const profile = await stores.profiles.findByName(device.profileName);
    if (!profile) {
      throw new GatewayError(ErrorKind.EntityNotFound, `${path}.profileName: device profile '${device.profileName}' does not exist`);
    }
    const issues = checkDeviceAgainstProfile(device, profile, path);
    if (issues.length) throw new ValidationError(issues);
  }

  private publish(action: 'add' | 'update' | 'delete', device: Device): void {
    return this.events.publish(SystemEventType.Device, action, device.serviceName ?? '', device.profileName, device);
  }
}
