import { DataSource, EntityManager } from 'typeorm';
import { Device, DeviceProfile, DeviceService, ProvisionWatcher } from '@gw/contracts';
import { DocumentStore } from './document-store';
import { DeviceRow, ProfileRow, ServiceRow, WatcherRow } from './entities';

/** The four metadata tables over one EntityManager (plain or inside a transaction). */
export class MetadataStores {
  readonly profiles: DocumentStore<DeviceProfile>;
  readonly devices: DocumentStore<Device>;
  readonly services: DocumentStore<DeviceService>;
  readonly watchers: DocumentStore<ProvisionWatcher>;

  constructor(manager: EntityManager) {
    this.profiles = new DocumentStore<DeviceProfile>(manager, ProfileRow, 'device profile', (p) => ({
      manufacturer: p.manufacturer ?? null,
      model: p.model ?? null,
    }));
    this.devices = new DocumentStore<Device>(manager, DeviceRow, 'device', (d) => ({
      serviceName: d.serviceName ?? null,
      profileName: d.profileName ?? null,
    }));
    this.services = new DocumentStore<DeviceService>(manager, ServiceRow, 'device service');
    this.watchers = new DocumentStore<ProvisionWatcher>(manager, WatcherRow, 'provision watcher', (w) => ({
      serviceName: w.serviceName ?? null,
      profileName: w.discoveredDevice.profileName ?? null,
    }));
  }
}

/**
 * Runs a change inside one transaction so the referential checks it makes
 * (profile in use, service exists) hold when it commits.
 */
export class MetadataRepository {
  readonly read: MetadataStores;

  constructor(private readonly dataSource: DataSource) {
    this.read = new MetadataStores(dataSource.manager);
  }

  transaction<R>(work: (stores: MetadataStores) => Promise<R>): Promise<R> {
    return this.dataSource.transaction((manager) => work(new MetadataStores(manager)));
  }
}
