/**
 * bin/init-secrets.js, which compose's secrets-init runs before every start:
 * makes what is missing, keeps what exists, rotates on request, takes the API
 * key and database password from the environment when given, and leaves each
 * file readable only by the process that needs it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INIT_SECRETS, initSecrets } from './support';

const SERVICES = ['core-metadata', 'core-data', 'core-command', 'app-service', 'device-virtual', 'device-modbus', 'device-opcua'];
const SECRET = /^[A-Za-z0-9_-]{43}$/; // 256 random bits, URL- and shell-safe

describe('bin/init-secrets.js', () => {
  let dir: string;
  const read = (file: string) => readFileSync(join(dir, file), 'utf8');
  const everything = () =>
    Object.fromEntries(
      ['api-key', 'postgres/password', 'operator.password', 'mosquitto/dynamic-security.json', 'redis/users.acl', ...SERVICES.map((s) => `bus/${s}.password`)].map(
        (f) => [f, read(f)],
      ),
    );
  const mosquittoClient = (user: string) =>
    (JSON.parse(read('mosquitto/dynamic-security.json')) as { clients: Array<{ username: string; clientid?: string }> }).clients.find(
      (c) => c.username === user,
    );

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gw-init-secrets-'));
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('makes a random secret per user, the API key and the database password, and keeps them on later runs', () => {
    initSecrets(dir);
    const first = everything();
    const secrets = [first['api-key'], first['postgres/password'], first['operator.password'], ...SERVICES.map((s) => first[`bus/${s}.password`])];
    for (const secret of secrets) expect(secret).toMatch(SECRET);
    expect(new Set(secrets).size).toBe(secrets.length);
    expect(read('database/core-data.url')).toBe(`postgres://gateway:${first['postgres/password']}@postgres:5432/gateway?schema=core_data`);
    expect(read('database/core-metadata.url')).toBe(`postgres://gateway:${first['postgres/password']}@postgres:5432/gateway?schema=metadata`);
    // No secret in the broker files, only hashes.
    for (const file of ['mosquitto/dynamic-security.json', 'redis/users.acl']) {
      for (const secret of secrets) expect(read(file)).not.toContain(secret);
    }

    expect(initSecrets(dir)).toBe('secrets: all present, nothing changed\n');
    expect(everything()).toEqual(first);
  });

  it('gives each file to the one process that reads it', () => {
    initSecrets(dir, [], {
      GW_SECRETS_MOSQUITTO_OWNER: '1883:1883',
      GW_SECRETS_REDIS_OWNER: '999:1000',
      GW_SECRETS_POSTGRES_OWNER: '70:70',
    });
    const access = (file: string) => {
      const stat = statSync(join(dir, file));
      return `${(stat.mode & 0o777).toString(8)} ${stat.uid}:${stat.gid}`;
    };
    const root = process.getuid?.() === 0;
    const owned = (owner: string) => (root ? owner : `${process.getuid?.()}:${process.getgid?.()}`);
    expect(access('.').split(' ')[0]).toBe('755');
    expect(access('api-key')).toBe(`440 ${owned('0:20000')}`);
    expect(access('bus/core-data.password')).toBe(`440 ${owned('0:20002')}`);
    expect(access('bus/device-virtual.password')).toBe(`440 ${owned('0:20010')}`);
    expect(access('database/core-metadata.url')).toBe(`440 ${owned('0:20001')}`);
    expect(access('operator.password')).toBe(`400 ${owned('0:0')}`);
    expect(access('postgres/password')).toBe(`400 ${owned('70:70')}`);
    expect(access('mosquitto/dynamic-security.json')).toBe(`400 ${owned('1883:1883')}`);
    expect(access('redis/users.acl')).toBe(`400 ${owned('999:1000')}`);
  });

  it('takes the API key and the database password from the environment when they are set', () => {
    initSecrets(dir, [], { GW_API_KEY: 'my-own-key', GW_POSTGRES_PASSWORD: 'my@db/password' });
    expect(read('api-key')).toBe('my-own-key');
    expect(read('postgres/password')).toBe('my@db/password');
    expect(read('database/core-data.url')).toContain('gateway:my%40db%2Fpassword@postgres:5432/');
    // Unset later: the stored values stay.
    initSecrets(dir);
    expect(read('api-key')).toBe('my-own-key');
  });

  it('rotates what it is asked to, and nothing else', () => {
    initSecrets(dir);
    const before = everything();

    expect(initSecrets(dir, ['--rotate', 'api-key'])).toBe('secrets: api-key: rotated\n');
    expect(read('api-key')).toMatch(SECRET);
    expect(read('api-key')).not.toBe(before['api-key']);

    initSecrets(dir, ['--rotate', 'device-virtual']);
    const after = everything();
    expect(after['bus/device-virtual.password']).not.toBe(before['bus/device-virtual.password']);
    expect(after['bus/core-data.password']).toBe(before['bus/core-data.password']);
    expect(after['redis/users.acl']).not.toBe(before['redis/users.acl']);
    expect(after['mosquitto/dynamic-security.json']).not.toBe(before['mosquitto/dynamic-security.json']);

    initSecrets(dir, ['--rotate', 'bus']);
    for (const service of SERVICES) expect(read(`bus/${service}.password`)).not.toBe(after[`bus/${service}.password`]);
    expect(read('api-key')).toBe(after['api-key']);
    expect(read('postgres/password')).toBe(before['postgres/password']);
  });

  it('adds a device service named in GW_SECRETS_SERVICES, keeping every existing secret', () => {
    initSecrets(dir);
    const before = everything();
    initSecrets(dir, [], { GW_SECRETS_SERVICES: `${SERVICES.map((s, i) => `${s}:${20001 + i}`).join(' ')} device-opcua:20012` });
    expect(read('bus/device-opcua.password')).toMatch(SECRET);
    for (const service of SERVICES) expect(read(`bus/${service}.password`)).toBe(before[`bus/${service}.password`]);
    expect(mosquittoClient('device-opcua')).toMatchObject({ clientid: 'device-opcua' });
    expect(read('redis/users.acl')).toMatch(/^user device-opcua on #[0-9a-f]{64} .*&edgex\/events\/device\/device-opcua\/\*/m);
  });

  it.each([
    [{ GW_SECRETS_SERVICES: 'core-data' }, [], /GW_SECRETS_SERVICES: expected "name:gid \.\.\."/],
    [{ GW_SECRETS_SERVICES: 'bad/name:1' }, [], /GW_SECRETS_SERVICES/],
    [{ GW_TOPIC_BASE: 'a/b' }, [], /GW_TOPIC_BASE/],
    [{}, ['--rotate', 'everything'], /--rotate everything: expected one of all, api-key, postgres, bus, core-metadata/],
    [{ GW_API_KEY: 'given' }, ['--rotate', 'api-key'], /--rotate api-key: GW_API_KEY is set; change it there instead/],
  ])('stops with exit code 78 and one line naming the mistake (%j %j)', (env, args, message) => {
    let failure: { status?: number; stderr?: string } = {};
    try {
      execFileSync(process.execPath, [INIT_SECRETS, '--dir', dir, ...args], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', stdio: 'pipe' });
    } catch (err) {
      failure = err as typeof failure;
    }
    expect(failure.status).toBe(78);
    expect(failure.stderr).toMatch(message);
    expect(failure.stderr?.trim().split('\n')).toHaveLength(1);
  });
});
