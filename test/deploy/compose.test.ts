/**
 * docker-compose.yml as shipped: no anonymous broker, no broker published on
 * the host, no secret in an `environment:` value, every service that reads
 * secrets starts after secrets-init, and each gateway container can read its
 * own secrets and no other service's. (`docker-compose config` checks the
 * syntax in CI, .ci/run.)
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, Stats, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { initSecrets, ROOT } from './support';

interface Service {
  image?: string;
  user?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  network_mode?: string;
  group_add?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[] };
}

const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const services = Object.entries(compose.services);
const SECRETS = '/run/secrets/gateway';
const mountsSecrets = (service: Service) => (service.volumes ?? []).some((v) => v.startsWith(`secrets:${SECRETS}`));
/** The gateway's own services: they log in to the bus. */
const gatewayServices = services.filter(([, s]) => s.environment?.GW_BUS_USERNAME);

describe('docker-compose.yml', () => {
  it('runs Mosquitto without anonymous access, with the generated users and roles', () => {
    const conf = readFileSync(join(ROOT, 'deploy/mosquitto/mosquitto.conf'), 'utf8');
    expect(conf).toMatch(/^allow_anonymous false$/m);
    expect(conf).not.toMatch(/^allow_anonymous true/m);
    expect(conf).toMatch(new RegExp(`^plugin_opt_config_file ${SECRETS}/mosquitto/dynamic-security.json$`, 'm'));
    expect(mountsSecrets(compose.services.mosquitto)).toBe(true);
  });

  it('runs Redis with the generated ACL file (its default user off)', () => {
    const redis = compose.services.redis;
    expect(redis.command).toEqual(expect.arrayContaining(['--aclfile', `${SECRETS}/redis/users.acl`]));
    expect(mountsSecrets(redis)).toBe(true);
  });

  it('publishes neither broker nor the database on the host', () => {
    for (const name of ['mosquitto', 'redis', 'postgres']) expect([name, compose.services[name].ports]).toEqual([name, undefined]);
  });

  it('puts no secret in an environment value: secrets are files, in the secrets volume', () => {
    for (const [name, service] of services) {
      for (const [variable, value] of Object.entries(service.environment ?? {})) {
        const where = `${name}: ${variable}=${value}`;
        expect([where, /:\/\/[^/@\s]*:[^/@\s]*@/.test(value)]).toEqual([where, false]); // no URL with a password
        if (/(PASSWORD|API_KEY|SECRET|TOKEN|DATABASE)$/.test(variable)) {
          // Only secrets-init may take one from the operator's environment (.env), and only as a pass-through.
          expect([where, name === 'secrets-init' && /^\$\{[A-Z_]+:-\}$/.test(value)]).toEqual([where, true]);
        }
        if (value.startsWith('/run/secrets/')) {
          expect([where, variable.endsWith('_FILE') && value.startsWith(`${SECRETS}/`) && mountsSecrets(service)]).toEqual([where, true]);
        }
      }
    }
    for (const [name, service] of gatewayServices) {
      const env = service.environment ?? {};
      expect([name, env.GW_BUS_PASSWORD_FILE, env.GW_API_KEY_FILE]).toEqual([
        name,
        `${SECRETS}/bus/${env.GW_BUS_USERNAME}.password`,
        `${SECRETS}/api-key`,
      ]);
    }
  });

  it('makes every service that reads the secrets volume wait until secrets-init has completed', () => {
    const readers = services.filter(([name, s]) => name !== 'secrets-init' && mountsSecrets(s));
    expect(readers.map(([name]) => name).sort()).toEqual(
      ['app-service', 'console', 'core-command', 'core-data', 'device-ble', 'device-modbus', 'device-opcua', 'device-virtual', 'device-zigbee', 'metadata', 'mosquitto', 'postgres', 'redis'].sort(),
    );
    for (const [name, service] of readers) {
      expect([name, service.depends_on?.['secrets-init']]).toEqual([name, { condition: 'service_completed_successfully' }]);
    }
  });

  it('gives a device service its service name as broker user (its topics and client id are named after it)', () => {
    for (const [name, service] of gatewayServices.filter(([, s]) => s.environment?.GW_DEVICE_SERVICE_SERVICE_NAME)) {
      expect([name, service.environment?.GW_BUS_USERNAME]).toEqual([name, service.environment?.GW_DEVICE_SERVICE_SERVICE_NAME]);
    }
  });

  it('checks the brokers\' health with credentials read inside the container, never given on the command line', () => {
    // mosquitto_sub takes them from its options file ($XDG_CONFIG_HOME/mosquitto_sub; mqtt-access.test.ts runs it), redis-cli from its environment.
    const mosquitto = compose.services.mosquitto.healthcheck?.test?.join(' ') ?? '';
    expect(mosquitto).toContain(`XDG_CONFIG_HOME=${SECRETS}/mosquitto mosquitto_sub `);
    expect(mosquitto).not.toMatch(/ -[uPi] |--(username|pw|id) /);
    const redis = compose.services.redis.healthcheck?.test?.join(' ') ?? '';
    expect(redis).toContain(`REDISCLI_AUTH="$$(cat ${SECRETS}/redis/healthcheck.password)" redis-cli --user healthcheck `);
    expect(redis).not.toMatch(/ -a |--pass /);
  });

  describe('service healthchecks (bin/healthcheck.js)', () => {
    it('check each gateway service on its own port', () => {
      for (const [name, service] of gatewayServices) {
        // A service on the host network (device-ble) publishes nothing: its own port is the one it listens on.
        const port = (service.ports ?? [])[0]?.split(':').pop() ?? (service.network_mode === 'host' ? service.environment?.GW_DEVICE_SERVICE_PORT : undefined);
        expect([name, service.healthcheck?.test]).toEqual([name, ['CMD', 'node', 'bin/healthcheck.js', port]]);
      }
    });

    /** A service as it answers while it waits for its broker (ping 200, ready 503), then once it serves. */
    let ready = false;
    const server = createServer((req, res) => {
      const status = req.url === '/api/v3/ping' || (req.url === '/api/v3/ready' && ready) ? 200 : 503;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ apiVersion: 'v3', statusCode: status, message: status === 200 ? '' : 'waiting for message bus' }));
    });
    beforeAll(() => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)));
    afterAll(() => new Promise((resolve) => server.close(resolve)));
    const healthcheck = () =>
      promisify(execFile)(process.execPath, [join(ROOT, 'bin/healthcheck.js'), String((server.address() as AddressInfo).port)]).then(
        () => ({ code: 0, stdout: '' }),
        (err: { code: number; stdout: string }) => ({ code: err.code, stdout: err.stdout }),
      );

    it('are unhealthy while a service only answers ping (so service_healthy waits until it serves), healthy once it is ready', async () => {
      ready = false;
      expect(await healthcheck()).toEqual({ code: 1, stdout: expect.stringMatching(/^503 .*waiting for message bus/) });
      ready = true;
      expect(await healthcheck()).toEqual({ code: 0, stdout: '' });
    });
  });

  // Ownership is only set by root, as secrets-init runs; a test run as another user cannot check it.
  (process.getuid?.() === 0 ? describe : describe.skip)('the secrets volume as secrets-init leaves it', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'gw-compose-secrets-'));
      // As compose runs it: its environment, the image owners' uids.
      const env = compose.services['secrets-init'].environment ?? {};
      const given = Object.fromEntries(Object.entries(env).filter(([, v]) => !v.startsWith('${')));
      initSecrets(dir, [], { ...given, GW_SECRETS_MOSQUITTO_OWNER: '1883:1883', GW_SECRETS_REDIS_OWNER: '999:1000', GW_SECRETS_POSTGRES_OWNER: '70:70' });
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    /** Whether a process with `uid` and `gids` may read a file, by its owner, group and mode. */
    const readable = (stat: Stats, uid: number, gids: number[]) => {
      const bits = stat.uid === uid ? stat.mode >> 6 : gids.includes(stat.gid) ? stat.mode >> 3 : stat.mode;
      return (bits & 0o4) !== 0;
    };
    const file = (path: string) => statSync(join(dir, path.slice(SECRETS.length + 1)));
    const NODE = 1000; // the image's user

    it.each(gatewayServices.map(([name]) => name))('%s can read its own secrets and no other service\'s', (name) => {
      const service = compose.services[name];
      const gids = [NODE, ...(service.group_add ?? []).map(Number)];
      for (const [variable, path] of Object.entries(service.environment ?? {}).filter(([, v]) => v.startsWith(`${SECRETS}/`))) {
        expect([variable, readable(file(path), NODE, gids)]).toEqual([variable, true]);
      }
      for (const [other, otherService] of gatewayServices.filter(([n]) => n !== name)) {
        const path = otherService.environment?.GW_BUS_PASSWORD_FILE as string;
        expect([other, readable(file(path), NODE, gids)]).toEqual([other, false]);
      }
      for (const path of ['operator.password', 'postgres/password', 'mosquitto/dynamic-security.json', 'mosquitto/mosquitto_sub', 'redis/users.acl']) {
        expect([path, readable(statSync(join(dir, path)), NODE, gids)]).toEqual([path, false]);
      }
    });

    it('Mosquitto (1883) and Redis (999) read their own files only', () => {
      expect(readable(statSync(join(dir, 'mosquitto/dynamic-security.json')), 1883, [1883])).toBe(true);
      expect(readable(statSync(join(dir, 'mosquitto/mosquitto_sub')), 1883, [1883])).toBe(true);
      expect(readable(statSync(join(dir, 'redis/users.acl')), 999, [1000])).toBe(true);
      for (const path of ['api-key', 'operator.password', 'bus/core-command.password', 'redis/users.acl']) {
        expect([path, readable(statSync(join(dir, path)), 1883, [1883])]).toEqual([path, false]);
      }
      for (const path of ['api-key', 'bus/core-command.password', 'mosquitto/dynamic-security.json']) {
        expect([path, readable(statSync(join(dir, path)), 999, [1000])]).toEqual([path, false]);
      }
    });
  });
});
