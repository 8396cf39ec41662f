/** The one-process gateway as the e2e tests start it: every port free, quiet logs, a temp data folder. */
import { join } from 'node:path';
import { DRIVERS } from '@gw/drivers';
import { servicePortVariable } from '@gw/device-sdk/driver-host';
import { GatewayConfig, loadGatewayConfig } from '../../apps/gateway/src/config';

export const RESOURCES = join(__dirname, '../../resources');

/** The GW_* variables of a gateway on free ports, quiet, with a temp data folder; `overrides` on top. */
export function testGatewayEnv(dataDir: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    GW_HOST: '127.0.0.1',
    GW_LOG_LEVEL: 'silent',
    GW_DATA_DIR: dataDir,
    GW_METADATA_PORT: '0',
    GW_CORE_COMMAND_PORT: '0',
    GW_CORE_DATA_PORT: '0',
    ...Object.fromEntries(DRIVERS.map((driver) => [servicePortVariable(driver), '0'])),
    GW_APP_SERVICE_PORT: '0',
    GW_CONSOLE_PORT: '0',
    GW_PROFILES_DIR: join(RESOURCES, 'profiles'),
    GW_DEVICES_DIR: join(RESOURCES, 'devices'),
    GW_PROVISION_WATCHERS_DIR: join(RESOURCES, 'provision-watchers'),
    // The drivers' own folders default from the process's GW_DATA_DIR (the checkout's ./data in a test): keep them in the temp folder.
    GW_OPCUA_PKI_DIR: join(dataDir, 'opcua-pki'),
    GW_ZIGBEE_DATA_DIR: join(dataDir, 'zigbee'),
    ...overrides,
  };
}

/** The gateway's config as `npm start` reads it, from testGatewayEnv. */
export function testGatewayConfig(dataDir: string, overrides: Record<string, string> = {}): GatewayConfig {
  return loadGatewayConfig(testGatewayEnv(dataDir, overrides));
}

/** A JSON REST call as a user makes it (with the gateway's API key when it has one); `body` of the answer parsed. */
export async function call(method: string, url: string, body?: unknown, apiKey?: string): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  const res = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}
