/**
 * Settings the services read when alone reach them in the one-process gateway
 * too: a browser origin allowed with GW_CORS_ORIGINS, Swagger UI turned off
 * with GW_OPENAPI_UI, core-metadata's profile limits, every core-data setting. (Read but unused would be worse than refused.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunningGateway, startGateway } from '../../apps/gateway/src/gateway';
import { testGatewayConfig } from '../support/gateway';
import { quietLogger } from '../support/quiet-logger';

describe('the one-process gateway passes the services their settings', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-settings-'));
  const empty = mkdtempSync(join(tmpdir(), 'gw-settings-empty-'));
  let gateway: RunningGateway;

  beforeAll(async () => {
    const config = testGatewayConfig(dataDir, {
      GW_CORS_ORIGINS: 'https://console.plant.local',
      GW_OPENAPI_UI: 'false',
      GW_METADATA_MAX_PROFILE_RESOURCES: '1',
      GW_CORE_DATA_MAX_CONCURRENT_QUERIES: '3',
      GW_CORE_DATA_QUERY_QUEUE_LIMIT: '7',
      GW_CORE_DATA_MAX_IN_FLIGHT: '250',
      GW_DEVICE_SERVICES: 'none',
      GW_APP_SERVICE: 'false',
      GW_PROFILES_DIR: empty,
      GW_DEVICES_DIR: empty,
      GW_PROVISION_WATCHERS_DIR: empty,
    });
    gateway = await startGateway(config, quietLogger('gateway'));
  });

  afterAll(async () => {
    await gateway?.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(empty, { recursive: true, force: true });
  });

  it('answers the allowed origin’s preflight on every service', async () => {
    for (const url of [gateway.metadata.url, gateway.coreData.url, gateway.coreCommand.url]) {
      const preflight = await fetch(`${url}/api/v3/ping`, {
        method: 'OPTIONS',
        headers: { origin: 'https://console.plant.local', 'access-control-request-method': 'GET' },
      });
      expect(preflight.headers.get('access-control-allow-origin')).toBe('https://console.plant.local');
    }
  });

  it('leaves Swagger UI out of every service with GW_OPENAPI_UI=false, keeping the OpenAPI document', async () => {
    for (const url of [gateway.metadata.url, gateway.coreData.url, gateway.coreCommand.url]) {
      expect((await fetch(`${url}/api/v3/docs`)).status).toBe(404);
      expect((await fetch(`${url}/api/v3/openapi.json`)).status).toBe(200);
    }
  });

  it('refuses a profile over GW_METADATA_MAX_PROFILE_RESOURCES', async () => {
    const profile = {
      name: 'Two-Resources',
      deviceResources: ['a', 'b'].map((name) => ({ name, properties: { valueType: 'Int16', readWrite: 'R' } })),
    };
    const response = await fetch(`${gateway.metadata.url}/api/v3/deviceprofile`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ apiVersion: 'v3', profile }]),
    });
    // The batch answers 207 with each item's outcome, as EdgeX does.
    expect(response.status).toBe(207);
    const [outcome] = (await response.json()) as Array<Record<string, unknown>>;
    expect(outcome).toMatchObject({ statusCode: 413, message: expect.stringMatching(/GW_METADATA_MAX_PROFILE_RESOURCES/) });
  });

  it('runs core-data with its GW_CORE_DATA_* settings (query admission, bus window)', async () => {
    const response = await fetch(`${gateway.coreData.url}/api/v3/config`);
    const { config } = (await response.json()) as { config: Record<string, unknown> };
    expect(config).toMatchObject({ maxConcurrentQueries: 3, queryQueueLimit: 7, maxInFlight: 250 });
    // Its own settings only, not the rest of the gateway's (metadata's folders, the app service's pipelines...).
    for (const other of ['profilesDir', 'pipelinesFile', 'appServicePort', 'metadataPort', 'deviceServices']) expect(config).not.toHaveProperty(other);
  });
});
