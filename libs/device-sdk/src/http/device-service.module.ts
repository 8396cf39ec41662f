import { DynamicModule, Module } from '@nestjs/common';
import { CommandExecutor } from '../command-executor';
import { DeviceValidator } from '../device-validator';
import { Discovery } from '../discovery';
import { DeviceCommandController } from './device-command.controller';
import { DiscoveryController } from './discovery.controller';
import { ProfileScan } from '../profile-scan';
import { ProfileScanController } from './profile-scan.controller';
import { ValidationController } from './validation.controller';

/** What the REST API needs; startDeviceService builds it. */
export interface DeviceServiceDeps {
  executor: CommandExecutor;
  discovery: Discovery;
  validator: DeviceValidator;
  profileScan: ProfileScan;
}

/** The device-service REST API of EdgeX's device-sdk.yaml (ping/version/config come from service-kit). */
@Module({})
export class DeviceServiceModule {
  static register(deps: DeviceServiceDeps): DynamicModule {
    return {
      module: DeviceServiceModule,
      controllers: [DeviceCommandController, DiscoveryController, ValidationController, ProfileScanController],
      providers: [
        { provide: CommandExecutor, useValue: deps.executor },
        { provide: Discovery, useValue: deps.discovery },
        { provide: DeviceValidator, useValue: deps.validator },
        { provide: ProfileScan, useValue: deps.profileScan },
      ],
    };
  }
}
