/**
 * The services of a one-process gateway (each on its own port) as the OpenAPI
 * tests see them: name, base URL and the Nest app (for the routes fastify registered).
 */
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { RunningGateway } from '../../apps/gateway/src/gateway';

export interface ServedService {
  name: string;
  url: string;
  app: NestFastifyApplication;
}

export function servedServices(gateway: RunningGateway): ServedService[] {
  const services: ServedService[] = [
    { name: 'core-metadata', url: gateway.metadata.url, app: gateway.metadata.app },
    { name: 'core-data', url: gateway.coreData.url, app: gateway.coreData.app },
    { name: 'core-command', url: gateway.coreCommand.url, app: gateway.coreCommand.app },
    ...Object.entries(gateway.deviceServices).map(([name, running]) => ({ name, url: running.url, app: running.app })),
  ];
  if (gateway.appService) services.push({ name: 'app-service', url: gateway.appService.url, app: gateway.appService.app });
  return services;
}
