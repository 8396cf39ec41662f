import { DeviceService, ErrorKind, GatewayError, Page, SystemEventType, validateDeviceService } from '@gw/contracts';
import { LabelledPageQuery } from '../persistence/document-store';
import { MetadataRepository } from '../persistence/metadata-stores';
import { applyPatch, stripIdentity } from './patch';
import { SystemEventPublisher } from './system-events';

export class DeviceServicesService {
  constructor(
    private readonly repo: MetadataRepository,
    private readonly events: SystemEventPublisher,
    /** Called after a service is added, so devices waiting for it (boot folders) can follow. */
    private readonly onAdded: (service: DeviceService) => Promise<void> = async () => undefined,
  ) {}

  async add(input: unknown, path = 'service'): Promise<DeviceService> {
    const service = validateDeviceService(stripIdentity(input), { path });
    const stored = await this.repo.transaction((stores) => stores.services.insert(service));
    this.events.publish(SystemEventType.DeviceService, 'add', stored.name, undefined, stored);
    await this.onAdded(stored);
    return stored;
  }

  async patch(input: unknown, path = 'service'): Promise<DeviceService> {
    const stored = await this.repo.transaction(async (stores) => {
      const { current, merged } = await applyPatch(stores.services, input, path);
      const service = validateDeviceService(merged, { path });
      if (service.name !== current.name) {
        const users = (await stores.devices.count({ serviceName: current.name })) + (await stores.watchers.count({ serviceName: current.name }));
        if (users > 0) throw new GatewayError(ErrorKind.StatusConflict, `device service '${current.name}' is in use; cannot rename it`);
      }
      return stores.services.replace({ ...service, id: current.id! });
    });
    this.events.publish(SystemEventType.DeviceService, 'update', stored.name, undefined, stored);
    return stored;
  }

  exists(name: string): Promise<boolean> {
    return this.repo.read.services.exists(name);
  }

  get(name: string): Promise<DeviceService> {
    return this.repo.read.services.getByName(name);
  }

  page(query: LabelledPageQuery): Promise<Page<DeviceService>> {
    return this.repo.read.services.page(query);
  }

  async delete(name: string): Promise<void> {
    const service = await this.repo.transaction(async (stores) => {
      const devices = await stores.devices.count({ serviceName: name });
      const watchers = await stores.watchers.count({ serviceName: name });
      if (devices + watchers > 0) {
        throw new GatewayError(
          ErrorKind.StatusConflict,
          `device service '${name}' is in use by ${devices} device(s) and ${watchers} provision watcher(s); cannot delete it`,
        );
      }
      return stores.services.deleteByName(name);
    });
    this.events.publish(SystemEventType.DeviceService, 'delete', service.name, undefined, service);
  }
}
