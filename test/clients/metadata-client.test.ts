import { ErrorKind, GatewayError, parseDeviceProfile } from '@gw/contracts';
import { MetadataClient } from '@gw/clients';
import { createMessageBus, MessageBus } from '@gw/messaging';
import { fixture } from '../../libs/contracts/fixtures';
import { RunningMetadata, startMetadata } from '../../apps/metadata/src/metadata.app';
import { testSqlite } from '../support/database';
import { quietLogger } from '../support/quiet-logger';

describe('MetadataClient against a running core-metadata', () => {
  const db = testSqlite();
  let bus: MessageBus;
  let metadata: RunningMetadata;
  let client: MetadataClient;

  beforeAll(async () => {
    bus = createMessageBus({ type: 'memory' });
    await bus.connect();
    metadata = await startMetadata(
      { host: '127.0.0.1', port: 0, database: db.config, maxResultCount: 1000, topicBase: 'edgex' },
      { bus, logger: quietLogger() },
    );
    client = new MetadataClient({ baseUrl: metadata.url, pageSize: 3 });
  });

  afterAll(async () => {
    await metadata?.close();
    await bus?.close();
    await db.cleanup();
  });

  it('registers a device service once and updates it on the next start', async () => {
    await client.registerDeviceService({ name: 'device-demo', baseAddress: 'http://localhost:1', adminState: 'UNLOCKED' });
    await client.registerDeviceService({ name: 'device-demo', baseAddress: 'http://localhost:2', adminState: 'UNLOCKED' });
    expect((await client.deviceService('device-demo')).baseAddress).toBe('http://localhost:2');
  });

  it('adds, reads, patches and lists devices across pages', async () => {
    const profile = parseDeviceProfile(fixture('demo-actuator.profile.yaml'));
    await fetch(metadata.url + '/api/v3/deviceprofile', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ apiVersion: 'v3', profile }]),
    });
    expect((await client.profile('Demo-Actuator')).deviceResources.length).toBe(profile.deviceResources.length);

    for (let i = 0; i < 7; i++) {
      const id = await client.addDevice({
        name: `Demo-${i}`,
        serviceName: 'device-demo',
        profileName: 'Demo-Actuator',
        adminState: 'UNLOCKED',
        operatingState: 'UP',
        protocols: { other: { Address: `demo${i}` } },
      });
      expect(id).toEqual(expect.any(String));
    }
    await client.patchDevice({ name: 'Demo-3', operatingState: 'DOWN' });
    expect((await client.device('Demo-3')).operatingState).toBe('DOWN');

    const all = await client.devicesOfService('device-demo');
    expect(all.map((d) => d.name).sort()).toEqual(['Demo-0', 'Demo-1', 'Demo-2', 'Demo-3', 'Demo-4', 'Demo-5', 'Demo-6']);
    expect(await client.devicesOfService('device-nobody')).toEqual([]);
  });

  it('turns metadata errors back into error kinds carrying metadata\'s message', async () => {
    const missing = await client.device('Nobody').catch((err: unknown) => err);
    expect(GatewayError.is(missing, ErrorKind.EntityNotFound)).toBe(true);
    expect((missing as Error).message).toMatch(/device 'Nobody' does not exist/);

    const refused = await client
      .addDevice({ name: 'Orphan', serviceName: 'device-demo', profileName: 'Nope', adminState: 'UNLOCKED', operatingState: 'UP', protocols: {} })
      .catch((err: unknown) => err);
    expect(GatewayError.is(refused, ErrorKind.EntityNotFound)).toBe(true);

    const unreachable = new MetadataClient({ baseUrl: 'http://127.0.0.1:1', timeoutMs: 2000 });
    const down = await unreachable.device('x').catch((err: unknown) => err);
    expect(GatewayError.is(down, ErrorKind.Communication)).toBe(true);
  });
});
