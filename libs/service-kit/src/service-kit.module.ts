/**
 * Gives a service's modules its config, logger and the /ping /version /config
 * routes. createServiceApp imports it for you; import it yourself only when
 * building a Nest testing module by hand.
 */
import { DynamicModule, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { ServiceInfoController } from './service-info.controller';
import { SERVICE_CONFIG, SERVICE_INFO, SERVICE_LOGGER, ServiceInfo } from './tokens';

@Module({})
export class ServiceKitModule {
  static forRoot(info: ServiceInfo & { logger: Logger }): DynamicModule {
    const { logger, ...serviceInfo } = info;
    return {
      module: ServiceKitModule,
      global: true, // per Nest container, i.e. per service app
      controllers: [ServiceInfoController],
      providers: [
        { provide: SERVICE_INFO, useValue: serviceInfo },
        { provide: SERVICE_CONFIG, useValue: info.config },
        { provide: SERVICE_LOGGER, useValue: logger },
      ],
      exports: [SERVICE_INFO, SERVICE_CONFIG, SERVICE_LOGGER],
    };
  }
}
