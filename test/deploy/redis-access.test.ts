/**
 * Who may do what on the compose Redis: redis-server with the ACL file
 * bin/init-secrets.js generates. Without a login nothing works, a device
 * service may neither send command requests nor read or subscribe to other
 * services' channels or the event stream; the services, each as its own
 * user, work together.
 */
import type { BrokerProcess } from '../support/brokers';
import { startRedis } from '../support/brokers';
import { rawRedis, RawRedis } from '../support/redis';
import { pollUntil } from '../messaging/helpers';
import { composeRedisArgs, generatedSecrets, Secrets, servicesWorkUnderTheirOwnUsers } from './support';
import { pubSubKeys } from '../../libs/messaging/src/redis/stream-routing';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ROLES, subscribePatterns } = require('../../bin/broker-acl.js');

const STREAM = 'gw:stream:edgex/events';

describe('the compose Redis (generated ACL file)', () => {
  let secrets: Secrets;
  let redis: BrokerProcess;
  const clients: RawRedis[] = [];

  const login = async (user: string) => {
    const url = new URL(redis.url);
    url.username = user;
    url.password = secrets.password(user);
    const client = await rawRedis(url.toString());
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    secrets = generatedSecrets();
    // As compose runs it: the generated ACL file, the message size bound.
    redis = await startRedis({ args: composeRedisArgs(secrets) });
  });

  afterEach(() => {
    for (const client of clients.splice(0)) if (client.isOpen) client.destroy();
  });

  afterAll(async () => {
    await redis?.dispose();
    secrets?.cleanup();
  });

  it('refuses everything without a login, and a wrong password', async () => {
    const anonymous = await rawRedis(redis.url);
    clients.push(anonymous);
    await expect(anonymous.ping()).rejects.toThrow(/NOAUTH/);
    await expect(anonymous.publish('edgex/device/command/request/device-virtual/D/Fan/set', 'x')).rejects.toThrow(/NOAUTH/);
    const url = new URL(redis.url);
    url.username = 'device-virtual';
    url.password = secrets.password('device-modbus');
    await expect(rawRedis(url.toString())).rejects.toThrow(/WRONGPASS/);
  });

  it('refuses a device service\'s command requests, to another service and to core-command\'s bus API', async () => {
    const device = await login('device-virtual');
    for (const channel of [
      'edgex/device/command/request/device-modbus/Meter-1/Relay/set',
      'edgex/device/command/request/device-virtual/Demo-Sensor-01/Fan/set',
      'edgex/core/command/request/Demo-Sensor-01/Fan/set',
      // Nor may it pose as another service.
      'edgex/events/device/device-virtual2/P/D/S',
      'edgex/response/core-command/0b7e8c52-5a4f-4c56-9f4e-2f4b7e4b8c11',
    ]) {
      await expect(device.publish(channel, 'x')).rejects.toThrow(/NOPERM/);
    }
    // What it may do: its own events (channel and stream) and answers.
    expect(await device.publish('edgex/events/device/device-virtual/P/D/S', 'x')).toBe(0);
    expect(await device.publish('edgex/response/device-virtual/0b7e8c52-5a4f-4c56-9f4e-2f4b7e4b8c11', 'x')).toBe(0);
    await expect(device.xAdd(STREAM, '*', { t: 'edgex/events/device/device-virtual/P/D/S', d: '{}' })).resolves.toMatch(/-/);
  });

  it('refuses a device service\'s subscriptions to other services\' channels and reads of the event stream', async () => {
    const device = await login('device-virtual');
    const listener = () => undefined;
    for (const pattern of [
      'edgex/*',
      'edgex/device/command/request/device-modbus*',
      'edgex/device/command/request/*',
      'edgex/response*',
      // A pattern that is its own name and more: it would also read device-virtual2's requests.
      'edgex/device/command/request/device-virtual*',
    ]) {
      await expect(device.pSubscribe(pattern, listener)).rejects.toThrow(/NOPERM/);
    }
    await expect(device.subscribe('edgex/device/command/request/device-modbus/M/Relay/set', listener)).rejects.toThrow(/NOPERM/);
    const reader = await login('device-virtual');
    await expect(reader.xRange(STREAM, '-', '+')).rejects.toThrow(/NOPERM/);
    await expect(reader.xGroupDestroy(STREAM, 'core-data')).rejects.toThrow(/NOPERM/);
    await expect(reader.hSet('gw:durables', 'core-data', 'elsewhere')).rejects.toThrow(/NOPERM/);
    await expect(reader.sendCommand(['CLIENT', 'KILL', 'USER', 'core-data'])).rejects.toThrow(/NOPERM/);
    await expect(reader.flushAll()).rejects.toThrow(/NOPERM/);
    // Its own: the command requests addressed to it, as the bus subscribes.
    await expect(device.pSubscribe('edgex/device/command/request/device-virtual/*', listener)).resolves.toBeUndefined();
  });

  it('allows exactly the channels and patterns the Redis bus subscribes with for each role', () => {
    for (const [role, { subscribe }] of Object.entries(ROLES as Record<string, { subscribe: string[] }>)) {
      for (const filter of subscribe.map((f) => f.replace('{user}', role))) {
        const bus = pubSubKeys(`edgex/${filter}`).map((key) => key.channel);
        expect([role, filter, subscribePatterns('edgex', filter)]).toEqual([role, filter, bus]);
      }
    }
  });

  it('takes a message of GW_MAX_BODY (4 MiB) and refuses one above proto-max-bulk-len (5 MiB)', async () => {
    const channel = 'edgex/events/device/device-virtual/P/D/S';
    const seen: number[] = [];
    const operator = await login('operator');
    await operator.subscribe(channel, (message) => seen.push(message.length));
    const device = await login('device-virtual');
    expect(await device.publish(channel, 'x'.repeat(4 * 1024 * 1024))).toBe(1);
    // Redis answers "invalid bulk length" and closes the connection, often before the client has finished writing.
    await expect(device.publish(channel, 'x'.repeat(5 * 1024 * 1024 + 1))).rejects.toThrow(/invalid bulk length|ECONNRESET|closed/);
    expect(await (await login('device-virtual')).publish(channel, 'marker')).toBe(1);
    await pollUntil(() => seen.length === 2, 'the marker');
    expect(seen).toEqual([4 * 1024 * 1024, 'marker'.length]);
  });

  it.each(['core-metadata', 'core-data', 'app-service', 'console'])('refuses a command request that %s publishes', async (user) => {
    const client = await login(user);
    await expect(client.publish('edgex/device/command/request/device-virtual/Demo-Sensor-01/Fan/set', 'x')).rejects.toThrow(/NOPERM/);
  });

  it('lets the app service publish nothing: its export right is on Mosquitto only (no sink writes to Redis)', async () => {
    expect(ROLES['app-service'].exports).toEqual(['gateway/export/#']);
    const appService = await login('app-service');
    for (const channel of ['gateway/export/telemetry/Demo-Sensor-01', 'edgex/gateway/export/telemetry/Demo-Sensor-01', 'edgex/events/device/device-virtual/P/D/S', 'edgex/events/core/x/P/D/S']) {
      expect([channel, await appService.publish(channel, 'x').then(() => 'published', (err: Error) => err.message)]).toEqual([channel, expect.stringMatching(/NOPERM/)]);
    }
    await expect(appService.xAdd(STREAM, '*', { t: 'edgex/events/device/device-virtual/P/D/S', d: '{}' })).rejects.toThrow(/NOPERM/);
  });

  servicesWorkUnderTheirOwnUsers('redis', () => redis.url, () => secrets);
});
