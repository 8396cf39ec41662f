import { DynamicModule, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Topics } from '@gw/contracts';
import { MessageBus } from '@gw/messaging';
import { DeviceServicesService } from './domain/device-services.service';
import { DevicesService } from './domain/devices.service';
import { ProfilesService } from './domain/profiles.service';
import { EventLog, SystemEventPublisher } from './domain/system-events';
import { WatchersService } from './domain/watchers.service';
import { DeviceResourcesController } from './http/device-resources.controller';
import { DeviceServicesController } from './http/device-services.controller';
import { DevicesController } from './http/devices.controller';
import { MAX_RESULT_COUNT, Paging } from './http/paging.pipe';
import { ProfilesController } from './http/profiles.controller';
import { WatchersController } from './http/watchers.controller';
import { MetadataRepository } from './persistence/metadata-stores';

/** What metadata needs from outside; the composition root (main or gateway) provides it. */
export interface MetadataDeps {
  dataSource: DataSource;
  bus: MessageBus;
  topics: Topics;
  maxResultCount: number;
  log: EventLog;
}

@Module({})
export class MetadataModule {
  static register(deps: MetadataDeps): DynamicModule {
    const repo = new MetadataRepository(deps.dataSource);
    const events = new SystemEventPublisher(deps.bus, deps.topics, deps.log);
    return {
      module: MetadataModule,
      controllers: [ProfilesController, DeviceResourcesController, DevicesController, DeviceServicesController, WatchersController],
      providers: [
        { provide: MAX_RESULT_COUNT, useValue: deps.maxResultCount },
        Paging,
        { provide: SystemEventPublisher, useValue: events },
        { provide: ProfilesService, useValue: new ProfilesService(repo, events) },
        { provide: DevicesService, useValue: new DevicesService(repo, events) },
        { provide: DeviceServicesService, useValue: new DeviceServicesService(repo, events) },
        { provide: WatchersService, useValue: new WatchersService(repo, events) },
      ],
      exports: [ProfilesService, DevicesService, DeviceServicesService, WatchersService],
    };
  }
}
