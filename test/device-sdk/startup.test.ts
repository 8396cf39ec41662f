/**
 * Start-up order under docker compose: the device service may come up before
 * core-metadata. It must wait, retrying, and get going once metadata answers.
 */
import { randomBytes } from 'node:crypto';
import { parseDeviceProfile } from '@gw/contracts';
import { MetadataClient } from '@gw/clients';
import { RunningDeviceService, startDeviceService } from '@gw/device-sdk';
import { createMessageBus, ManagedMessageBus, MemoryBroker } from '@gw/messaging';
import { RunningMetadata, startMetadata } from '../../apps/metadata/src/metadata.app';
import { freePort } from '../support/brokers';
import { testSqlite } from '../support/database';
import { quietLogger } from '../support/quiet-logger';
import { MetadataClient as RestClient } from '../metadata/metadata-client';
import { pollUntil } from '../messaging/helpers';
import { FakeDriver } from './fake-driver';
import { testDevice } from './harness';
import { TEST_PROFILE_YAML } from './test-profile';

describe('device service start-up', () => {
  const db = testSqlite('metadata.db');
  let bus: ManagedMessageBus;
  let metadata: RunningMetadata | undefined;
  let service: RunningDeviceService | undefined;

  beforeAll(async () => {
    bus = createMessageBus({ type: 'memory', broker: new MemoryBroker() });
    await bus.connect();
  });

  afterAll(async () => {
    await service?.close();
    await metadata?.close();
    await bus.close();
    await db.cleanup();
  });

  it('retries core-metadata with backoff until it is up, then registers and serves', async () => {
    const topicBase = `gwtest-${randomBytes(4).toString('hex')}`;
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const driver = new FakeDriver();
    service = await startDeviceService(
      { serviceName: 'device-late', host: '127.0.0.1', port: 0, topicBase, metadataRetry: { initialMs: 20, maxMs: 100 } },
      { bus, logger: quietLogger('device-late'), driver, metadata: new MetadataClient({ baseUrl: url, timeoutMs: 1_000 }) },
    );
    const api = new RestClient(service.url);
    // Up and answering, but not ready to command devices yet.
    expect((await api.get('/ping')).status).toBe(200);
    const early = await api.get('/device/name/Any/Temperature');
    expect(early.status).toBe(503);
    expect(early.body.message).toMatch(/not loaded its devices/);

    metadata = await startMetadata({ host: '127.0.0.1', port, database: db.config, maxResultCount: 100, topicBase }, { bus, logger: quietLogger('core-metadata') });
    await service.ready;
    const rest = new RestClient(metadata.url);
    expect((await rest.get('/deviceservice/name/device-late')).body.service.baseAddress).toBe(service.baseAddress);

    await rest.batch('POST', '/deviceprofile', 'profile', [parseDeviceProfile(TEST_PROFILE_YAML)]);
    await rest.batch('POST', '/device', 'device', [testDevice('device-late', 'Late-1')]);
    driver.set('Late-1', 'Temperature', 50);
    await pollUntil(async () => (await api.get('/device/name/Late-1/Temperature')).status === 200, 'Late-1 served');
  });

  it('closes cleanly while still waiting for core-metadata', async () => {
    const port = await freePort();
    const driver = new FakeDriver();
    const waiting = await startDeviceService(
      { serviceName: 'device-never', host: '127.0.0.1', port: 0, metadataRetry: { initialMs: 10, maxMs: 50 } },
      { bus, logger: quietLogger('device-never'), driver, metadata: new MetadataClient({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 500 }) },
    );
    await waiting.close();
    await waiting.ready; // resolves: close() ended the attempts
    expect(driver.lifecycle).toEqual(['initialize', 'start', 'stop']);
  });
});
