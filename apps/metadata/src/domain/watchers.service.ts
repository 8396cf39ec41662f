import {
  Device,
  ErrorKind,
  GatewayError,
  ProvisionWatcher,
  SystemEventType,
  ValidationError,
  checkDeviceAgainstProfile,
  validateProvisionWatcher,
  Page,
} from '@gw/contracts';
import { LabelledPageQuery, RefFilter } from '../persistence/document-store';
import { MetadataRepository, MetadataStores } from '../persistence/metadata-stores';
import { applyPatch, stripIdentity } from './patch';
import { SystemEventPublisher } from './system-events';

/** Provision watchers: the rules that turn discovered devices into metadata devices. */
export class WatchersService {
  constructor(
    private readonly repo: MetadataRepository,
    private readonly events: SystemEventPublisher,
  ) {}

  async add(input: unknown, path = 'provisionWatcher'): Promise<ProvisionWatcher> {
    const watcher = validateProvisionWatcher(stripIdentity(input), { path });
    const stored = await this.repo.transaction(async (stores) => {
      await this.checkReferences(stores, watcher, path);
      return stores.watchers.insert(watcher);
    });
    this.publish('add', stored);
    return stored;
  }

  async patch(input: unknown, path = 'provisionWatcher'): Promise<ProvisionWatcher> {
    const stored = await this.repo.transaction(async (stores) => {
      const { current, merged } = await applyPatch(stores.watchers, input, path);
      const watcher = validateProvisionWatcher(merged, { path });
      await this.checkReferences(stores, watcher, path);
      return stores.watchers.replace({ ...watcher, id: current.id! });
    });
    this.publish('update', stored);
    return stored;
  }

  get(name: string): Promise<ProvisionWatcher> {
    return this.repo.read.watchers.getByName(name);
  }

  page(query: LabelledPageQuery, filter: RefFilter = {}): Promise<Page<ProvisionWatcher>> {
    return this.repo.read.watchers.page(query, filter);
  }

  async delete(name: string): Promise<void> {
    const watcher = await this.repo.transaction((stores) => stores.watchers.deleteByName(name));
    this.publish('delete', watcher);
  }

  /** The service that runs discovery and the profile given to discovered devices must exist. */
  private async checkReferences(stores: MetadataStores, watcher: ProvisionWatcher, path: string): Promise<void> {
    if (!watcher.serviceName) {
      throw new ValidationError([{ path: `${path}.serviceName`, message: 'is required' }]);
    }
    if (!(await stores.services.exists(watcher.serviceName))) {
      throw new GatewayError(ErrorKind.EntityNotFound, `${path}.serviceName: device service '${watcher.serviceName}' does not exist`);
    }
    const profileName = watcher.discoveredDevice.profileName;
    if (!profileName) return;
    const profile = await stores.profiles.findByName(profileName);
    if (!profile) {
      throw new GatewayError(ErrorKind.EntityNotFound, `${path}.discoveredDevice.profileName: device profile '${profileName}' does not exist`);
    }
    const discovered: Device = {
      name: watcher.name,
      adminState: watcher.discoveredDevice.adminState,
      operatingState: 'UP',
      protocols: {},
      autoEvents: watcher.discoveredDevice.autoEvents,
    };
    const issues = checkDeviceAgainstProfile(discovered, profile, `${path}.discoveredDevice`);
    if (issues.length) throw new ValidationError(issues);
  }

  private publish(action: 'add' | 'update' | 'delete', watcher: ProvisionWatcher): void {
    return this.events.publish(
      SystemEventType.ProvisionWatcher,
      action,
      watcher.serviceName ?? '',
      watcher.discoveredDevice.profileName,
      watcher,
    );
  }
}
