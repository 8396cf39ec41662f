/**
 * What the deployment tests share: secrets made by the shipped init script,
 * the shipped mosquitto.conf on a private port, and the gateway's services
 * started each with its own bus connection under its own broker user, as
 * docker compose runs them.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { MetadataClient } from '@gw/clients';
import { BusConfig, createMessageBus, ManagedMessageBus } from '@gw/messaging';
import { startCoreCommand } from '../../apps/core-command/src/core-command.app';
import { startCoreData } from '../../apps/core-data/src/core-data.app';
import { startDeviceServiceApp } from '../../apps/device-service/src/device-service.app';
import { startMetadata } from '../../apps/metadata/src/metadata.app';
import { BrokerProcess, startMosquitto } from '../support/brokers';
import { initSecrets, ROOT, shippedMosquittoConfig } from './shipped';
import { testSqlite } from '../support/database';
import { quietLogger } from '../support/quiet-logger';
import { call } from '../support/gateway';
import { pollUntil } from '../messaging/helpers';

export { INIT_SECRETS, initSecrets, ROOT, shippedMosquittoConfig } from './shipped';

export interface Secrets {
  dir: string;
  /** A bus user's password (`operator` and Mosquitto's `healthcheck` included). */
  password(user: string): string;
  cleanup(): void;
}

const PASSWORD_FILES: Record<string, string> = { operator: 'operator.password', healthcheck: 'mosquitto/healthcheck.password' };

export function generatedSecrets(): Secrets {
  const dir = mkdtempSync(join(tmpdir(), 'gw-secrets-'));
  initSecrets(dir);
  return {
    dir,
    password: (user) => readFileSync(join(dir, PASSWORD_FILES[user] ?? `bus/${user}.password`), 'utf8'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

interface ComposeFile {
  services: { mosquitto: { healthcheck: { test: string[] } }; redis: { command: string[] } };
}
const composeFile = () => parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as ComposeFile;

/** docker-compose.yml's healthcheck command for Mosquitto (a CMD-SHELL line, `$$` as compose writes `$`). */
export function mosquittoHealthcheck(): string {
  const [form, command] = composeFile().services.mosquitto.healthcheck.test;
  if (form !== 'CMD-SHELL') throw new Error(`docker-compose.yml: expected Mosquitto's healthcheck as CMD-SHELL, got ${form}`);
  return command;
}

/** The arguments docker-compose.yml gives redis-server, its secrets in `secrets` (startRedis adds port, bind and data directory). */
export function composeRedisArgs(secrets: Secrets): string[] {
  const [program, ...args] = composeFile().services.redis.command;
  if (program !== 'redis-server') throw new Error(`docker-compose.yml: expected Redis's command to start with redis-server, got ${program}`);
  return args.map((arg) => arg.replace('/run/secrets/gateway', secrets.dir));
}




/** Mosquitto on a free port with the shipped configuration (shippedMosquittoConfig) and `secrets`' users and roles. */
export function startShippedMosquitto(secrets: Secrets): Promise<BrokerProcess> {
  return startMosquitto({ config: (port, dir) => shippedMosquittoConfig(port, dir, secrets.dir) });
}

export interface RunningServices {
  metadata: string;
  coreData: string;
  coreCommand: string;
  close(): Promise<void>;
}

/**
 * metadata, core-data, core-command and device-virtual, each on its own bus
 * connection as its own broker user with its service name as client id (as
 * compose configures them), on the default topic base the ACLs are made for.
 */
export async function startServicesAs(bus: (user: string) => BusConfig): Promise<RunningServices> {
  const databases = [testSqlite(), testSqlite()];
  const buses: ManagedMessageBus[] = [];
  const closers: Array<() => Promise<void>> = [];
  const busFor = async (user: string) => {
    const connected = createMessageBus(bus(user));
    buses.push(connected);
    await connected.connect();
    return connected;
  };
  const close = async () => {
    for (const stop of closers.reverse()) await stop().catch(() => undefined);
    for (const connected of buses) await connected.close().catch(() => undefined);
    for (const db of databases) await db.cleanup();
  };
  try {
    const common = { host: '127.0.0.1', port: 0, topicBase: 'edgex', logLevel: 'silent' as const };
    const resources = join(ROOT, 'resources');
    const md = await startMetadata(
      { ...common, database: databases[0].config, maxResultCount: 1000, folders: { profilesDir: join(resources, 'profiles'), devicesDir: join(resources, 'devices') } },
      { bus: await busFor('core-metadata'), logger: quietLogger('core-metadata') },
    );
    closers.push(() => md.close());
    const cd = await startCoreData(
      { ...common, database: databases[1].config, maxResultCount: 1000, durableName: 'core-data', metadataUrl: md.url },
      { bus: await busFor('core-data'), logger: quietLogger('core-data') },
    );
    closers.push(() => cd.close());
    const cc = await startCoreCommand(
      { ...common, commandTimeout: 5000 },
      { bus: await busFor('core-command'), logger: quietLogger('core-command'), metadata: new MetadataClient({ baseUrl: md.url }) },
    );
    closers.push(() => cc.close());
    const ds = await startDeviceServiceApp(
      { ...common, serviceName: 'device-virtual', driver: 'virtual', metadataUrl: md.url },
      { bus: await busFor('device-virtual'), logger: quietLogger('device-virtual') },
    );
    closers.push(() => ds.close());
    await ds.ready;
    return { metadata: `${md.url}/api/v3`, coreData: `${cd.url}/api/v3`, coreCommand: `${cc.url}/api/v3`, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * The acceptance half of an access test: metadata, core-data, core-command and
 * device-virtual each logged in to the broker as its own user (client id = user)
 * still work together: device events are stored, a command goes through.
 */
export function servicesWorkUnderTheirOwnUsers(type: 'mqtt' | 'redis', url: () => string, secrets: () => Secrets): void {
  describe('the services, each as its own user', () => {
    let services: RunningServices;

    beforeAll(async () => {
      services = await startServicesAs((user) => ({ type, url: url(), username: user, password: secrets().password(user), clientId: user }));
    });

    afterAll(async () => {
      await services?.close();
    });

    it('device events reach core-data', async () => {
      // Nothing announces a stored reading: ask core-data until it has one.
      const readings = `${services.coreData}/reading/device/name/Demo-Sensor-01`;
      await pollUntil(async () => ((await call('GET', readings)).body.totalCount ?? 0) > 0, 'a stored reading of Demo-Sensor-01');
    });

    it('an event POSTed to core-data is published on events/core, where the app service reads it', async () => {
      const appService = createMessageBus({ type, url: url(), username: 'app-service', password: secrets().password('app-service'), clientId: 'app-service' });
      await appService.connect();
      const durable = `acl-core-${randomUUID().slice(0, 8)}`;
      try {
        let got!: (payload: unknown) => void;
        const received = new Promise<unknown>((resolve) => (got = resolve));
        await appService.subscribe('edgex/events/core/#', (envelope) => got(envelope.payload), { durable });
        const device = (await call('GET', `${services.metadata}/device/name/Demo-Sensor-01`)).body.device;
        const origin = Date.now() * 1_000_000;
        const event = {
          apiVersion: 'v3',
          id: randomUUID(),
          deviceName: device.name,
          profileName: device.profileName,
          sourceName: 'Manual',
          origin,
          readings: [{ id: randomUUID(), origin, deviceName: device.name, profileName: device.profileName, resourceName: 'Temperature', valueType: 'Float64', value: '21.5' }],
        };
        const posted = await call('POST', `${services.coreData}/event/${device.serviceName}/${device.profileName}/${device.name}/Manual`, { apiVersion: 'v3', event });
        expect(posted.status).toBe(201);
        expect(await received).toMatchObject({ event: { id: event.id } });
      } finally {
        await appService.deleteDurable(durable).catch(() => undefined);
        await appService.close();
      }
    });

    it('a command goes from core-command to the device service and its answer comes back', async () => {
      const fan = `${services.coreCommand}/device/name/Demo-Sensor-01/Fan`;
      expect((await call('PUT', fan, { Fan: 'true' })).status).toBe(200);
      const read = await call('GET', fan);
      expect(read.status).toBe(200);
      expect(read.body.event.readings[0]).toMatchObject({ resourceName: 'Fan', value: 'true' });
    });
  });
}
