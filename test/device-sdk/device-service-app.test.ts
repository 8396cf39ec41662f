/**
 * apps/device-service as configured from the environment: the virtual driver
 * loaded by name, registration under device-virtual, and the sample devices
 * from ./resources that core-metadata holds back until the service registers.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createMessageBus, ManagedMessageBus, MemoryBroker } from '@gw/messaging';
import { loadDeviceServiceConfig } from '../../apps/device-service/src/config';
import { RunningDeviceService, startDeviceServiceApp } from '../../apps/device-service/src/device-service.app';
import { RunningMetadata, startMetadata } from '../../apps/metadata/src/metadata.app';
import { testSqlite } from '../support/database';
import { quietLogger } from '../support/quiet-logger';
import { MetadataClient as RestClient } from '../metadata/metadata-client';
import { Collector } from '../messaging/helpers';

const RESOURCES = join(__dirname, '../../resources');

describe('apps/device-service with the virtual driver', () => {
  const db = testSqlite('metadata.db');
  const topicBase = `gwtest-${randomBytes(4).toString('hex')}`;
  let bus: ManagedMessageBus;
  let metadata: RunningMetadata | undefined;
  let service: RunningDeviceService | undefined;

  beforeAll(async () => {
    bus = createMessageBus({ type: 'memory', broker: new MemoryBroker() });
    await bus.connect();
    metadata = await startMetadata(
      {
        host: '127.0.0.1',
        port: 0,
        database: db.config,
        maxResultCount: 100,
        topicBase,
        folders: { profilesDir: join(RESOURCES, 'profiles'), devicesDir: join(RESOURCES, 'devices') },
      },
      { bus, logger: quietLogger('core-metadata') },
    );
  });

  afterAll(async () => {
    await service?.close();
    await metadata?.close();
    await bus.close();
    await db.cleanup();
  });

  it('loads the driver named in the configuration, registers, and serves the sample devices', async () => {
    const config = loadDeviceServiceConfig({
      GW_HOST: '127.0.0.1',
      GW_DEVICE_SERVICE_PORT: '0',
      GW_DEVICE_SERVICE_METADATA_URL: metadata!.url,
      GW_TOPIC_BASE: topicBase,
      GW_LOG_LEVEL: 'silent',
    });
    expect(config.driver).toBe('virtual');
    const events = new Collector();
    await bus.subscribe(`${topicBase}/events/device/device-virtual/#`, events.handler);

    service = await startDeviceServiceApp(config, { bus, logger: quietLogger('device-virtual') });
    await service.ready;
    const rest = new RestClient(metadata!.url);
    expect((await rest.get('/deviceservice/name/device-virtual')).body.service.baseAddress).toBe(service.baseAddress);

    // Demo-Sensor-01 (resources/devices/device-virtual) publishes Climate every second.
    const topic = `${topicBase}/events/device/device-virtual/Demo-Sensor/Demo-Sensor-01/Climate`;
    await events.until((all) => all.some((r) => r.topic === topic), 'a Climate event of Demo-Sensor-01', 10_000);
    const { envelope } = events.received.find((r) => r.topic === topic)!;
    const readings = (envelope.payload as any).event.readings;
    expect(readings.map((r: any) => r.resourceName)).toEqual(['Temperature', 'Humidity']);
    for (const r of readings) {
      expect(Number(r.value)).toBeGreaterThanOrEqual(r.resourceName === 'Temperature' ? -20 : 0);
      expect(Number(r.value)).toBeLessThanOrEqual(r.resourceName === 'Temperature' ? 60 : 100);
    }

    const api = new RestClient(service.url);
    expect((await api.put('/device/name/Demo-Sensor-01/Fan', { Fan: 'true' })).status).toBe(200);
    const fan = await api.get('/device/name/Demo-Sensor-01/Fan');
    expect(fan.body.event.readings[0].value).toBe('true');
    expect((await api.get('/config')).body.config).toMatchObject({ serviceName: 'device-virtual', driver: 'virtual' });
  });
});
