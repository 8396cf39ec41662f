import { runStandalone } from '@gw/service-kit/run-standalone';
import { consoleConfigVariables, loadConsoleConfig } from './config';
import { startConsole } from './console.app';

/** The console as its own process (compose): its own bus connection, read-only on device events. */
export function runConsole(): Promise<void> {
  const config = loadConsoleConfig();
  return runStandalone(config, (deps) => startConsole(config, deps), { variables: consoleConfigVariables() });
}
