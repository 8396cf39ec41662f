import { databaseDependency, runStandalone } from '@gw/service-kit';
import { metadataConfigVariables, loadMetadataConfig } from './config';
import { startMetadata } from './metadata.app';

/** core-metadata as its own process: configuration from the environment. */
export function runMetadata(): Promise<void> {
  const config = loadMetadataConfig();
  return runStandalone(config, (deps) => startMetadata(config, deps), {
    variables: metadataConfigVariables(),
    dependencies: [databaseDependency(config.database)],
  });
}
