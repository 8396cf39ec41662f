/**
 * apps/device-service as configured from the environment: the virtual driver
 * loaded by name, registration under device-virtual, and the sample devices
 * from ./resources that core-metadata holds back until the service registers.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { z } from 'zod';
import { createMessageBus, ManagedMessageBus, MemoryBroker } from '@gw/messaging';
import { createLogger } from '@gw/service-kit';
import { loadSettings, secret, text } from '@gw/service-kit/config';
import { loadDeviceServiceConfig } from '../../apps/device-service/src/config';
import { RunningDeviceService, startDeviceServiceApp } from '../../apps/device-service/src/device-service.app';
import { RunningMetadata, startMetadata } from '../../apps/metadata/src/metadata.app';
import { testSqlite } from '../support/database';
import { quietLogger } from '../support/quiet-logger';
import { MetadataClient as RestClient } from '../metadata/metadata-client';
import { Collector } from '../messaging/helpers';
import { FakeDriver } from './fake-driver';

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

  it("keeps a driver's secret() settings hidden on /config and in the starting log", async () => {
    const config = loadDeviceServiceConfig({
      GW_HOST: '127.0.0.1',
      GW_DEVICE_SERVICE_PORT: '0',
      GW_DEVICE_SERVICE_SERVICE_NAME: 'device-secretive',
      GW_DEVICE_SERVICE_METADATA_URL: metadata!.url,
      GW_DEVICE_SERVICE_AUTO_EVENTS: 'false',
      GW_TOPIC_BASE: topicBase,
      GW_API_KEY: 'the-api-key',
    });
    // No driver in the registry has a secret setting yet: settings as a driver's descriptor would load them.
    const driverSettings = loadSettings(z.object({ pin: secret(text()), unit: text() }), { GW_FAKE_PIN: '4711', GW_FAKE_UNIT: 'plc-1' }, 'fake');
    const logs: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logs.push(String(chunk));
        done();
      },
    });
    const secretive = await startDeviceServiceApp(
      { ...config, driverSettings },
      { bus, logger: createLogger('device-secretive', 'info', sink), driver: new FakeDriver() },
    );
    try {
      await secretive.ready;
      const res = await fetch(`${secretive.url}/api/v3/config`, { headers: { 'x-api-key': 'the-api-key' } });
      const { config: shown } = (await res.json()) as { config: Record<string, unknown> };
      expect(shown).toMatchObject({ serviceName: 'device-secretive', apiKey: '***', driverSettings: { pin: '***', unit: 'plc-1' } });
      const starting = logs.map((line) => JSON.parse(line)).find((line) => line.msg === 'starting');
      expect(starting.config).toMatchObject({ apiKey: '***', driverSettings: { pin: '***', unit: 'plc-1' } });
      expect(JSON.stringify(shown) + logs.join('')).not.toContain('4711');
    } finally {
      await secretive.close();
    }
  });
});
