import { MetadataClient } from '@gw/clients';
import { runStandalone } from '@gw/service-kit';
import { coreCommandConfigVariables, loadCoreCommandConfig } from './config';
import { startCoreCommand } from './core-command.app';

/** core-command as its own process: configuration from the environment. */
export function runCoreCommand(): Promise<void> {
  const config = loadCoreCommandConfig();
  const metadata = new MetadataClient({ baseUrl: config.metadataUrl, apiKey: config.metadataApiKey ?? config.apiKey });
  return runStandalone(config, (deps) => startCoreCommand(config, { ...deps, metadata }), { variables: coreCommandConfigVariables() });
}
