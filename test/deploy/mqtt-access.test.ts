/**
 * Who may do what on the compose broker: Mosquitto started with the shipped
 * mosquitto.conf and the users and roles bin/init-secrets.js generates. An
 * anonymous client, a wrong password and a device service reaching beyond its
 * own topics are refused; the services, each as its own user, work together;
 * the shipped pipelines' MQTT sink (compose's and the Kubernetes services
 * overlay's) delivers, logged in as the app service.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt, { MqttClient } from 'mqtt';
import { Topics } from '@gw/contracts';
import { createMessageBus, newEnvelope } from '@gw/messaging';
import { startAppService } from '../../apps/app-service/src/app-service.app';
import { parsePipelinesFile } from '../../apps/app-service/src/pipeline/pipelines-file';
import { Collector, pollUntil } from '../messaging/helpers';
import type { BrokerProcess } from '../support/brokers';
import { quietLogger } from '../support/quiet-logger';
import { generatedSecrets, mosquittoHealthcheck, ROOT, Secrets, startShippedMosquitto, servicesWorkUnderTheirOwnUsers } from './support';

const REFUSED = 0x87; // MQTT 5 "not authorized"

describe('the compose Mosquitto (shipped config, generated users)', () => {
  let secrets: Secrets;
  let broker: BrokerProcess;
  const clients: MqttClient[] = [];

  const connect = async (user: string | undefined, options: { clientId?: string; password?: string } = {}) => {
    const client = await mqtt.connectAsync(broker.url, {
      protocolVersion: 5,
      reconnectPeriod: 0,
      connectTimeout: 5_000,
      clientId: options.clientId ?? user,
      ...(user ? { username: user, password: options.password ?? secrets.password(user) } : {}),
    });
    clients.push(client);
    return client;
  };

  let operator: MqttClient | undefined;
  /** What the operator (who may read everything) sees of `edgex/#` and the exports, on a new connection (its one client id: the last one ends first). */
  const watchEverything = async () => {
    await operator?.endAsync(true);
    const seen = new Collector();
    operator = await connect('operator');
    operator.on('message', (topic, payload) => seen.handler({ payload: payload.toString() } as never, topic));
    expect((await operator.subscribeAsync(['edgex/#', 'gateway/export/#'], { qos: 1 })).map((g) => g.qos)).toEqual([1, 1]);
    return seen;
  };

  /**
   * Publishes `denied` (QoS 1, expecting a refusing PUBACK), then a marker the
   * user may publish, on one connection: the operator receives the marker and
   * never the denied message, which was published before it.
   */
  const expectDropped = async (client: MqttClient, denied: string, marker: string) => {
    const seen = await watchEverything();
    await expect(client.publishAsync(denied, 'should not arrive', { qos: 1 })).rejects.toMatchObject({ code: REFUSED });
    await client.publishAsync(marker, 'marker', { qos: 1 });
    await seen.until((r) => r.some((m) => m.topic === marker), `the marker on ${marker}`);
    expect(seen.received.map((m) => m.topic)).not.toContain(denied);
  };

  beforeAll(async () => {
    secrets = generatedSecrets();
    broker = await startShippedMosquitto(secrets);
  });

  afterEach(async () => {
    operator = undefined;
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
  });

  afterAll(async () => {
    await broker?.dispose();
    secrets?.cleanup();
  });

  it('refuses an anonymous client and a wrong password', async () => {
    await expect(connect(undefined, { clientId: 'anonymous' })).rejects.toMatchObject({ code: REFUSED });
    await expect(connect('device-virtual', { password: secrets.password('device-modbus') })).rejects.toMatchObject({ code: REFUSED });
  });

  // core-data and app-service are bound to no client id (their bus is two
  // clients; README, "The bus"): every other user is, so none of them can take
  // over core-data's durable session and withhold its queued events.
  it.each(['core-metadata', 'core-command', 'console', 'device-virtual', 'device-modbus', 'operator', 'healthcheck'])(
    'lets %s connect only with its own client id: never as durable-core-data or another service',
    async (user) => {
      const others = ['durable-core-data', 'durable-app-service', 'core-data', user === 'core-command' ? 'core-metadata' : 'core-command'];
      for (const clientId of others) {
        await expect(connect(user, { clientId }).then(() => 'connected', (err: { code?: number }) => err.code)).resolves.toBe(REFUSED);
      }
      await expect(connect(user)).resolves.toBeDefined();
    },
  );

  it('answers compose\'s healthcheck, which logs in from its options file (no password on the command line)', async () => {
    const command = mosquittoHealthcheck()
      .replace(/\$\$/g, '$')
      .replaceAll('/run/secrets/gateway', secrets.dir)
      .replace('mosquitto_sub ', `mosquitto_sub -h 127.0.0.1 -p ${broker.port} `);
    await expect(promisify(execFile)('sh', ['-c', command])).resolves.toBeDefined();
    // The healthcheck user reads the broker's uptime and nothing else.
    const health = await connect('healthcheck');
    await expect(health.subscribeAsync('edgex/#', { qos: 1 })).rejects.toMatchObject({ packet: { granted: [REFUSED] } });
  });

  it('takes a message of GW_MAX_BODY (4 MiB) and disconnects a client that sends more than max_packet_size (5 MiB)', async () => {
    const device = await connect('device-virtual');
    const topic = 'edgex/events/device/device-virtual/Demo-Profile/Demo-Sensor-01/Temperature';
    await expect(device.publishAsync(topic, Buffer.alloc(4 * 1024 * 1024, 'x'), { qos: 1 })).resolves.toBeDefined();
    device.on('error', () => undefined); // the broker resets the connection while the packet is being written
    const closed = new Promise<void>((resolve) => device.once('close', () => resolve()));
    let acknowledged = false;
    device.publish(topic, Buffer.alloc(5 * 1024 * 1024, 'x'), { qos: 1 }, (err) => (acknowledged = !err));
    await closed;
    expect(acknowledged).toBe(false);
    // The broker's reason, in its log (which may arrive a moment after the client saw the close).
    await pollUntil(() => broker.output().includes('Client device-virtual disconnected due to oversize packet.'), 'the broker logging the oversize packet');
  });

  it('drops a command request a device service publishes to another service and to core-command\'s bus API', async () => {
    const device = await connect('device-virtual');
    const ownEvent = 'edgex/events/device/device-virtual/Demo-Profile/Demo-Sensor-01/Temperature';
    await expectDropped(device, 'edgex/device/command/request/device-modbus/Meter-1/Relay/set', ownEvent);
    await expectDropped(device, 'edgex/core/command/request/Demo-Sensor-01/Fan/set', ownEvent);
    // Nor may it pose as another service: events and answers are its own only.
    await expectDropped(device, 'edgex/events/device/device-modbus/P/Meter-1/Power', ownEvent);
    await expectDropped(device, 'edgex/response/core-command/0b7e8c52-5a4f-4c56-9f4e-2f4b7e4b8c11', ownEvent);
    // Nor pose as the app service's export.
    await expectDropped(device, 'gateway/export/telemetry/Demo-Sensor-01', ownEvent);
  });

  it.each(['core-metadata', 'core-data', 'app-service', 'console'])('drops a command request that %s publishes', async (user) => {
    const client = await connect(user);
    const ALLOWED: Record<string, string> = {
      'core-metadata': 'edgex/system-events/core-metadata/device/add/device-virtual/P',
      // What the shipped pipelines export, and nothing on the bus.
      'app-service': 'gateway/export/telemetry/Demo-Sensor-01',
    };
    const allowed = ALLOWED[user];
    if (user === 'app-service') {
      for (const denied of ['edgex/events/device/device-virtual/P/D/S', 'edgex/events/core/x/P/D/S', 'gateway/other', 'edgex/gateway/export/x']) {
        await expectDropped(client, denied, allowed);
      }
    }
    if (allowed) {
      await expectDropped(client, 'edgex/device/command/request/device-virtual/Demo-Sensor-01/Fan/set', allowed);
    } else {
      // A user that may publish nothing at all: the broker refuses every publish.
      await expect(client.publishAsync('edgex/device/command/request/device-virtual/D/Fan/set', 'x', { qos: 1 })).rejects.toMatchObject({ code: REFUSED });
    }
  });

  it('lets the web console read device events only: command requests and answers are refused', async () => {
    const webConsole = await connect('console');
    expect((await webConsole.subscribeAsync('edgex/events/device/#', { qos: 1 }))[0].qos).toBe(1);
    for (const filter of ['edgex/device/command/request/#', 'edgex/response/#', 'edgex/system-events/#']) {
      await expect(webConsole.subscribeAsync(filter, { qos: 1 })).rejects.toMatchObject({ packet: { granted: [REFUSED] } });
    }
  });

  it('refuses a device service\'s subscriptions to other services\' topics (SUBACK 0x87), grants its own', async () => {
    const device = await connect('device-virtual');
    // The SUBACK reason code (mqtt.js rejects with the packet when it refuses).
    const codes = async (filter: string) => {
      try {
        return (await device.subscribeAsync(filter, { qos: 1 }))[0].qos;
      } catch (err) {
        return (err as { packet?: { granted?: number[] } }).packet?.granted?.[0];
      }
    };
    for (const filter of [
      'edgex/#',
      'edgex/events/device/#',
      'edgex/device/command/request/device-modbus/#',
      'edgex/device/command/request/+/#',
      'edgex/core/command/request/#',
      'edgex/response/#',
      'edgex/system-events/core-metadata/+/+/device-modbus/#',
    ]) {
      expect([filter, await codes(filter)]).toEqual([filter, REFUSED]);
    }
    expect(await codes('edgex/device/command/request/device-virtual/#')).toBe(1);
    expect(await codes('edgex/system-events/core-metadata/+/+/device-virtual/#')).toBe(1);
  });

  it('delivers what the shipped pipelines export: their MQTT sink logs in as the app service (compose, Kubernetes services overlay)', async () => {
    /** deploy/app-service/pipelines.yaml as the app service reads it, but for this broker's address and the secrets' folder. */
    const shipped = readFileSync(join(ROOT, 'deploy/app-service/pipelines.yaml'), 'utf8');
    expect(shipped).toContain('url: mqtt://mosquitto:1883');
    expect(shipped).toContain('${file:/run/secrets/gateway/bus/app-service.password}');
    const text = shipped.replace('url: mqtt://mosquitto:1883', `url: ${broker.url}`).replaceAll('/run/secrets/gateway', secrets.dir);
    const pipelines = parsePipelinesFile(text, 'pipelines.yaml', { topicBase: 'edgex' });
    const dataDir = mkdtempSync(join(tmpdir(), 'gw-export-'));
    const bus = createMessageBus({ type: 'mqtt', url: broker.url, username: 'app-service', password: secrets.password('app-service'), clientId: 'app-service' });
    const device = createMessageBus({ type: 'mqtt', url: broker.url, username: 'device-virtual', password: secrets.password('device-virtual'), clientId: 'device-virtual' });
    const durableName = `acl-export-${randomUUID().slice(0, 8)}`;
    const unused = () => Promise.reject(new Error('not used'));
    let app: Awaited<ReturnType<typeof startAppService>> | undefined;
    try {
      await bus.connect();
      await device.connect();
      const seen = await watchEverything();
      app = await startAppService(
        { host: '127.0.0.1', port: 0, topicBase: 'edgex', dataDir, durableName },
        { bus, logger: quietLogger('app-service'), pipelines, actuators: { profileOf: unused, get: unused, set: unused }, metadata: { devices: async () => [], profile: unused } },
      );
      const origin = Date.now() * 1_000_000;
      const reading = { id: randomUUID(), origin, deviceName: 'Demo-Sensor-01', profileName: 'Demo-Profile', resourceName: 'Temperature', valueType: 'Float64', value: '21.5' };
      const event = { apiVersion: 'v3', id: randomUUID(), deviceName: 'Demo-Sensor-01', profileName: 'Demo-Profile', sourceName: 'Temperature', origin, readings: [reading] };
      await device.publish(new Topics('edgex').deviceEvent('device-virtual', 'Demo-Profile', 'Demo-Sensor-01', 'Temperature'), newEnvelope({ apiVersion: 'v3', requestId: randomUUID(), event }));
      // Both shipped pipelines deliver: the batched flat telemetry and the twin's reported state.
      await seen.until((r) => r.some((m) => m.topic === 'gateway/export/telemetry/Demo-Sensor-01'), 'the exported telemetry');
      await seen.until((r) => r.some((m) => m.topic === 'gateway/export/reported/Demo-Sensor-01'), 'the exported reported state');
      expect(seen.received.find((m) => m.topic === 'gateway/export/telemetry/Demo-Sensor-01')?.envelope.payload).toContain('21.5');
    } finally {
      await app?.close();
      await bus.deleteDurable(durableName).catch(() => undefined);
      await Promise.all([bus.close(), device.close()]);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  servicesWorkUnderTheirOwnUsers('mqtt', () => broker.url, () => secrets);
});
