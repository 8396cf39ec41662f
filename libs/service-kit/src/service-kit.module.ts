/**
 * Gives a service's modules its config, logger and the /ping /version /config
 * /ready routes, and /metrics when given a registry. createServiceApp imports it for you; import it yourself only when
 * building a Nest testing module by hand.
 */
import { DynamicModule, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { MetricsController } from './metrics/metrics.controller';
import { ServiceInfoController } from './service-info.controller';
import { SecretController } from './secrets/secret.controller';
import type { FileSecretStore } from './secrets/secret-store';
import { SECRET_STORE, SERVICE_CONFIG, SERVICE_INFO, SERVICE_LOGGER, SERVICE_METRICS, ServiceInfo } from './tokens';

@Module({})
export class ServiceKitModule {
  static forRoot(info: ServiceInfo & { logger: Logger; metrics?: Registry; secrets?: FileSecretStore }): DynamicModule {
    const { logger, metrics, secrets, ...serviceInfo } = info;
    return {
      module: ServiceKitModule,
      global: true, // per Nest container, i.e. per service app
      controllers: [ServiceInfoController, ...(metrics ? [MetricsController] : []), ...(secrets ? [SecretController] : [])],
      providers: [
        { provide: SERVICE_INFO, useValue: serviceInfo },
        { provide: SERVICE_CONFIG, useValue: info.config },
        { provide: SERVICE_LOGGER, useValue: logger },
        ...(metrics ? [{ provide: SERVICE_METRICS, useValue: metrics }] : []),
        ...(secrets ? [{ provide: SECRET_STORE, useValue: secrets }] : []),
      ],
      exports: [SERVICE_INFO, SERVICE_CONFIG, SERVICE_LOGGER, ...(secrets ? [SECRET_STORE] : [])],
    };
  }
}
