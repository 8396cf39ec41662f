/** core-metadata's GET /api/v3/metrics: what it holds, counted at each scrape, its REST requests and its bus. */
import { parseDeviceList, parseDeviceProfile } from '@gw/contracts';
import { createMessageBus, ManagedMessageBus } from '@gw/messaging';
import { fixture } from '../../libs/contracts/fixtures';
import { RunningMetadata, startMetadata } from '../../apps/metadata/src/metadata.app';
import { testSqlite } from '../support/database';
import { scrape } from '../support/prometheus';
import { quietLogger } from '../support/quiet-logger';
import { MetadataClient } from './metadata-client';

const SERVICE = { name: 'device-demo', baseAddress: 'http://localhost:59999', adminState: 'UNLOCKED' };
const service = (name: string) => `${name}{service="core-metadata"}`;

describe('core-metadata metrics', () => {
  const db = testSqlite();
  let bus: ManagedMessageBus;
  let metadata: RunningMetadata;
  let api: MetadataClient;

  beforeAll(async () => {
    bus = createMessageBus({ type: 'memory' });
    await bus.connect();
    metadata = await startMetadata(
      { host: '127.0.0.1', port: 0, database: db.config, maxResultCount: 1000, topicBase: 'edgex' },
      { bus, logger: quietLogger('core-metadata') },
    );
    api = new MetadataClient(metadata.url);
  });

  afterAll(async () => {
    await metadata?.close().catch(() => undefined); // the last test closed its database already
    await bus?.close();
    await db.cleanup();
  });

  it('counts devices, profiles, services and watchers at each scrape, and the REST calls that added them', async () => {
    expect(await scrape(metadata.url)).toMatchObject({
      gw_metadata_devices: 0,
      gw_metadata_device_profiles: 0,
      gw_metadata_device_services: 0,
      gw_metadata_provision_watchers: 0,
    });
    const published = (await scrape(metadata.url))[service('gw_bus_published_total')];

    expect((await api.batch('POST', '/deviceservice', 'service', [SERVICE])).status).toBe(207);
    expect((await api.upload('POST', fixture('demo-actuator.profile.yaml'))).status).toBe(201);
    expect((await api.batch('POST', '/deviceprofile', 'profile', [parseDeviceProfile(fixture('boiler.modbus.profile.yaml'))])).status).toBe(207);
    const devices = parseDeviceList(fixture('demo-actuator.devices.yaml')).map((d) => ({ ...d, serviceName: SERVICE.name }));
    expect((await api.batch('POST', '/device', 'device', devices)).body.map((r) => r.statusCode)).toEqual([201, 201]);
    expect((await api.get('/device/name/no-such-device')).status).toBe(404);

    const samples = await scrape(metadata.url);
    expect(samples).toMatchObject({
      gw_metadata_devices: 2,
      gw_metadata_device_profiles: 2,
      gw_metadata_device_services: 1,
      gw_metadata_provision_watchers: 0,
      'gw_http_request_duration_seconds_count{method="POST",route="/api/v3/device",status="207"}': 1,
      'gw_http_request_duration_seconds_count{method="POST",route="/api/v3/deviceprofile/uploadfile",status="201"}': 1,
      'gw_http_request_duration_seconds_count{method="GET",route="/api/v3/device/name/:name",status="404"}': 1,
      [service('gw_bus_connected')]: 1,
    });
    // One system event per service, profile and device added.
    expect(samples[service('gw_bus_published_total')] - published).toBe(5);
  });

  it('still answers a scrape when its database is away, showing the last counts', async () => {
    await metadata.dataSource.destroy();
    await expect(api.get('/device/all')).resolves.toMatchObject({ status: 500 });
    const samples = await scrape(metadata.url);
    expect(samples).toMatchObject({ gw_metadata_devices: 2, gw_metadata_device_profiles: 2 });
    expect(samples.process_cpu_user_seconds_total).toBeGreaterThan(0);
  });
});
