import { DynamicModule, Module } from '@nestjs/common';
import { MAX_RESULT_COUNT } from '@gw/service-kit';
import { DeviceServicesService } from './domain/device-services.service';
import { DevicesService } from './domain/devices.service';
import { ProfilesService } from './domain/profiles.service';
import { WatchersService } from './domain/watchers.service';
import { DeviceResourcesController } from './http/device-resources.controller';
import { DeviceServicesController } from './http/device-services.controller';
import { DevicesController } from './http/devices.controller';
import { Paging } from './http/paging.pipe';
import { ProfilesController } from './http/profiles.controller';
import { WatchersController } from './http/watchers.controller';
import { UomController } from './http/uom.controller';
import { UnitsOfMeasure } from './domain/units-of-measure';

/** What metadata's HTTP side needs; startMetadata builds it. */
export interface MetadataDeps {
  profiles: ProfilesService;
  devices: DevicesService;
  deviceServices: DeviceServicesService;
  watchers: WatchersService;
  units: UnitsOfMeasure;
  maxResultCount: number;
}

@Module({})
export class MetadataModule {
  static register(deps: MetadataDeps): DynamicModule {
    return {
      module: MetadataModule,
      controllers: [ProfilesController, DeviceResourcesController, DevicesController, DeviceServicesController, WatchersController, UomController],
      providers: [
        { provide: MAX_RESULT_COUNT, useValue: deps.maxResultCount },
        Paging,
        { provide: ProfilesService, useValue: deps.profiles },
        { provide: DevicesService, useValue: deps.devices },
        { provide: DeviceServicesService, useValue: deps.deviceServices },
        { provide: WatchersService, useValue: deps.watchers },
        { provide: UnitsOfMeasure, useValue: deps.units },
      ],
    };
  }
}
