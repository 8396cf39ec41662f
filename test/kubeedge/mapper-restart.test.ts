/**
 * A device service in KubeEdge mapper mode restarted: desired twin values
 * already applied are not written again (KubeEdge's twin rule), whether the
 * mapper remembers them (GW_DATA_DIR) or the device already holds them; its
 * DeviceMapperService socket is the service user's only, a stale one left by
 * a killed process is replaced, a live one is not. Virtual driver (writes
 * counted), a real core-metadata on temp SQLite, the in-process bus, and the
 * fake edgecore on a unix socket in a temp dir.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorKind, GatewayError } from '@gw/contracts';
import { createDriver, findDriver, loadDriverSettings, ProtocolDriver } from '@gw/device-sdk';
import { DRIVERS } from '@gw/drivers';
import type { Device, DeviceModel, ReportDeviceStatusRequest } from '@gw/kubeedge-dmi';
import { createMessageBus, MemoryBroker, MessageBus } from '@gw/messaging';
import { loadDeviceServiceConfig } from '../../apps/device-service/src/config';
import { RunningDeviceService, startDeviceServiceApp } from '../../apps/device-service/src/device-service.app';
import { RunningMetadata, startMetadata } from '../../apps/metadata/src/metadata.app';
import { testSqlite, TestDatabase } from '../support/database';
import { quietLogger } from '../support/quiet-logger';
import { configData, FakeEdgecore } from './fake-edgecore';

const model: DeviceModel = {
  name: 'valve-model',
  namespace: 'default',
  spec: { properties: [{ name: 'opening', type: 'INT', accessMode: 'ReadWrite', minimum: '0', maximum: '100' }] },
};

function valve(desired: string, reportToCloud = true): Device {
  return {
    name: 'valve',
    namespace: 'default',
    spec: {
      deviceModelReference: 'valve-model',
      protocol: { protocolName: 'virtual', configData: configData({ address: 'v1' }) },
      properties: [
        {
          name: 'opening',
          collectCycle: 200,
          reportToCloud,
          desired: { value: desired, metadata: { type: 'int', timestamp: '1700000000000' } },
          // The virtual device holds 10 when it starts.
          visitors: { protocolName: 'virtual', configData: configData({ simulation: 'constant', value: '10' }) },
        },
      ],
    },
  };
}

const opening = (r: ReportDeviceStatusRequest) => r.reportedDevice.twins?.find((t) => t.propertyName === 'opening');

describe('a KubeEdge mapper restarted', () => {
  let dir: string;
  let db: TestDatabase;
  let bus: MessageBus;
  let metadata: RunningMetadata;
  let edgecore: FakeEdgecore | undefined;
  const services: RunningDeviceService[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-kubeedge-restart-'));
    bus = createMessageBus({ type: 'memory', broker: new MemoryBroker() });
    await bus.connect();
    db = testSqlite('metadata.db');
    metadata = await startMetadata({ host: '127.0.0.1', port: 0, database: db.config, maxResultCount: 1000, topicBase: 'gwtest-kubeedge-restart' }, { bus, logger: quietLogger('core-metadata') });
  });

  afterEach(async () => {
    for (const service of services.splice(0)) await service.close();
    await edgecore?.stop();
    edgecore = undefined;
  });

  afterAll(async () => {
    await metadata?.close();
    await bus?.close();
    db?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A device service in mapper mode whose driver writes are counted. */
  async function start(
    dataDir: string,
    mapperSocket = join(dir, 'mapper.sock'),
    /** Writes that fail as a device not answering, before the driver takes them. */
    unanswered = 0,
  ): Promise<{ service: RunningDeviceService; writes: string[] }> {
    const config = loadDeviceServiceConfig({
      GW_HOST: '127.0.0.1',
      GW_DEVICE_SERVICE_PORT: '0',
      GW_DEVICE_SERVICE_METADATA_URL: metadata.url,
      GW_TOPIC_BASE: 'gwtest-kubeedge-restart',
      GW_DATA_DIR: dataDir,
      GW_KUBEEDGE_MAPPER: 'true',
      GW_KUBEEDGE_DMI_SOCKET: join(dir, 'dmi.sock'),
      GW_KUBEEDGE_MAPPER_SOCKET: mapperSocket,
      GW_KUBEEDGE_RETRY_MAX: '200ms',
    });
    const descriptor = findDriver(DRIVERS, 'virtual', 'driver');
    const driver: ProtocolDriver = await createDriver(descriptor, loadDriverSettings(descriptor, {}));
    const writes: string[] = [];
    const write = driver.write.bind(driver);
    driver.write = async (device, profile, requests) => {
      writes.push(...requests.map((r) => `${device.name}/${r.resource.name}=${String(r.value)}`));
      if (unanswered-- > 0) throw new GatewayError(ErrorKind.Communication, 'the valve does not answer');
      return write(device, profile, requests);
    };
    const service = await startDeviceServiceApp(config, { bus, logger: quietLogger('device-virtual'), driver });
    services.push(service);
    await service.ready;
    return { service, writes };
  }

  /** A twin report of the valve whose opening was read `reported` with `observedDesired` applied. */
  const settledReport = (reported: string, desired: string) =>
    edgecore!.waitFor('status', (r) => opening(r)?.reported?.value === reported && opening(r)?.observedDesired?.value === desired);

  it('writes an applied desired value once: not again after a restart with the same GW_DATA_DIR', async () => {
    const dataDir = join(dir, 'data-a');
    edgecore = await FakeEdgecore.start(join(dir, 'dmi.sock'), { models: [model], devices: [valve('33')] });
    const first = await start(dataDir);
    await settledReport('33', '33');
    expect(first.writes).toEqual(['valve/opening=33']);
    // The service user's socket only: whoever connects can add devices and write actuators.
    expect(statSync(join(dir, 'mapper.sock')).mode & 0o777).toBe(0o600);
    await first.service.close();
    services.splice(0);
    await edgecore.stop();

    edgecore = await FakeEdgecore.start(join(dir, 'dmi.sock'), { models: [model], devices: [valve('33')] });
    const second = await start(dataDir);
    // The restarted virtual device reads 10 again; the mapper remembers 33 as applied and does not write it.
    await settledReport('10', '33');
    expect(second.writes).toEqual([]);
  });

  it('without a record of it, reads the device first: writes only a value the device does not hold, once', async () => {
    edgecore = await FakeEdgecore.start(join(dir, 'dmi.sock'), { models: [model], devices: [valve('10')] });
    const { writes } = await start(join(dir, 'data-b'));
    await settledReport('10', '10');
    expect(writes).toEqual([]);
    await edgecore.call('UpdateDevice', { device: valve('20') });
    await settledReport('20', '20');
    expect(writes).toEqual(['valve/opening=20']);
  });

  it('writes a desired value again while the device does not answer, until it does', async () => {
    edgecore = await FakeEdgecore.start(join(dir, 'dmi.sock'), { models: [model], devices: [valve('44')] });
    const { writes } = await start(join(dir, 'data-e'), undefined, 2);
    await settledReport('44', '44');
    expect(writes).toEqual(['valve/opening=44', 'valve/opening=44', 'valve/opening=44']);
  });

  it("reports a property with a desired value but not reported to the cloud with the value read, not a blank", async () => {
    edgecore = await FakeEdgecore.start(join(dir, 'dmi.sock'), { models: [model], devices: [valve('55', false)] });
    await start(join(dir, 'data-f'));
    const report = await edgecore.waitFor('status', (r) => opening(r)?.observedDesired?.value === '55');
    expect(opening(report)?.reported?.value).toBe('55');
  });

  it('takes RegisterDevice while core-metadata is away, and two at once for the same device, applying them when it answers', async () => {
    edgecore = await FakeEdgecore.start(join(dir, 'dmi.sock'));
    await start(join(dir, 'data-g'));
    await edgecore.waitFor('register');
    await edgecore.call('CreateDeviceModel', { model });
    const other = { ...valve('10'), name: 'valve-2' };
    // Two calls for one new device at once: the second waits for the first (no 409 from a second POST).
    await expect(Promise.all([edgecore.call('RegisterDevice', { device: other }), edgecore.call('UpdateDevice', { device: other })])).resolves.toHaveLength(2);
    const port = Number(new URL(metadata.url).port);
    await metadata.close();
    await expect(edgecore.call('RegisterDevice', { device: { ...valve('10'), name: 'valve-3' } })).resolves.toEqual({ deviceName: 'valve-3', deviceNamespace: 'default' });
    metadata = await startMetadata({ host: '127.0.0.1', port, database: db.config, maxResultCount: 1000, topicBase: 'gwtest-kubeedge-restart' }, { bus, logger: quietLogger('core-metadata') });
    await edgecore.waitFor('status', (r) => r.deviceName === 'valve-3' && opening(r)?.reported?.value === '10');
  });

  it('refuses at boot a default mapper socket path too long for a unix socket, naming the variable', async () => {
    const config = loadDeviceServiceConfig({
      GW_HOST: '127.0.0.1',
      GW_DEVICE_SERVICE_PORT: '0',
      GW_DEVICE_SERVICE_METADATA_URL: metadata.url,
      GW_DEVICE_SERVICE_SERVICE_NAME: `device-${'v'.repeat(100)}`,
      GW_DATA_DIR: join(dir, 'data-h'),
      GW_KUBEEDGE_MAPPER: 'true',
      GW_KUBEEDGE_DMI_SOCKET: join(dir, 'dmi.sock'),
    });
    await expect(startDeviceServiceApp(config, { bus, logger: quietLogger('device-virtual') })).rejects.toThrow(/GW_KUBEEDGE_MAPPER_SOCKET: \/etc\/kubeedge\/device-v+\.sock is longer than 107 bytes/);
  });

  it('replaces a socket left by a killed process, and refuses to take one a running process serves', async () => {
    const socket = join(dir, 'stale.sock');
    // A process killed while serving leaves its socket file behind.
    const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socket)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    await new Promise((resolve) => child.once('exit', resolve));
    expect(statSync(socket).isSocket()).toBe(true);
    edgecore = await FakeEdgecore.start(join(dir, 'dmi.sock'), { models: [model], devices: [valve('10')] });
    await start(join(dir, 'data-c'), socket);
    await edgecore.waitFor('register');
    await expect(start(join(dir, 'data-d'), socket)).rejects.toThrow(/GW_KUBEEDGE_MAPPER_SOCKET: .*stale\.sock is served by a running process/);
  });
});
