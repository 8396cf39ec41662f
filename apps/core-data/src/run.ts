import { databaseDependency, runStandalone } from '@gw/service-kit';
import { coreDataConfigVariables, loadCoreDataConfig } from './config';
import { startCoreData } from './core-data.app';

/** core-data as its own process (docker compose): configuration from the environment. */
export function runCoreData(): Promise<void> {
  const config = loadCoreDataConfig();
  return runStandalone(config, (deps) => startCoreData(config, deps), {
    variables: coreDataConfigVariables(),
    dependencies: [databaseDependency(config.database)],
  });
}
