import { runStandalone } from '@gw/service-kit';
import { deviceServiceConfigVariables, loadDeviceServiceConfig } from './config';
import { startDeviceServiceApp } from './device-service.app';

/** A device service as its own process: configuration from the environment. */
export function runDeviceService(): Promise<void> {
  const config = loadDeviceServiceConfig();
  return runStandalone(config, (deps) => startDeviceServiceApp(config, deps), { variables: deviceServiceConfigVariables() });
}
