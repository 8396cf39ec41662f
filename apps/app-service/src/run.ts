import { runStandalone } from '@gw/service-kit';
import { appServiceConfigVariables, loadAppServiceConfig } from './config';
import { startAppService } from './app-service.app';

/** The app service as its own process: configuration from the environment. */
export function runAppService(): Promise<void> {
  const config = loadAppServiceConfig();
  return runStandalone(config, (deps) => startAppService(config, deps), { variables: appServiceConfigVariables() });
}
