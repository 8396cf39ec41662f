import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ErrorKind, GatewayError } from '@gw/contracts';
import { loadConfig } from './fields';
import { busConfigFields, toBusConfig } from './infrastructure';

const Bus = z.object(busConfigFields());

function problem(env: Record<string, string>, prefix?: string): string {
  try {
    loadConfig(Bus, env, prefix);
  } catch (err) {
    expect(GatewayError.is(err, ErrorKind.Config)).toBe(true);
    return (err as Error).message;
  }
  throw new Error('expected a configuration error');
}

describe('bus settings', () => {
  it('refuse a bus URL that is not a URL, naming the variable', () => {
    expect(problem({ GW_BUS_TYPE: 'mqtt', GW_BUS_URL: 'notaurl' })).toBe(
      'invalid configuration: GW_BUS_URL: expected a URL (mqtt: mqtts: tcp: ssl: ws: wss: redis: rediss:), got "notaurl"',
    );
    expect(problem({ GW_BUS_TYPE: 'redis', GW_METADATA_BUS_URL: 'http://x' }, 'metadata')).toMatch(/^invalid configuration: GW_METADATA_BUS_URL: expected a URL/);
  });

  it('refuse a URL of the other bus, naming both variables and hiding the password', () => {
    expect(problem({ GW_BUS_TYPE: 'mqtt', GW_BUS_URL: 'redis://u:secret@redis:6379' })).toBe(
      'invalid configuration: GW_BUS_URL: GW_BUS_TYPE is mqtt: expected a URL starting mqtt:// mqtts:// tcp:// ssl:// ws:// wss://, got "redis://u:***@redis:6379"',
    );
    expect(problem({ GW_METADATA_BUS_TYPE: 'redis', GW_BUS_URL: 'mqtts://broker:8883' }, 'metadata')).toBe(
      'invalid configuration: GW_BUS_URL: GW_METADATA_BUS_TYPE is redis: expected a URL starting redis:// rediss://, got "mqtts://broker:8883"',
    );
  });

  it('refuse a broker URL with the in-process bus (a forgotten GW_BUS_TYPE), naming both variables', () => {
    expect(problem({ GW_BUS_URL: 'mqtt://u:secret@mosquitto:1883' })).toBe(
      'invalid configuration: GW_BUS_URL: GW_BUS_TYPE is memory (the default), which uses no broker: ' +
        'set GW_BUS_TYPE=mqtt or redis to use "mqtt://u:***@mosquitto:1883", or unset the URL',
    );
  });

  it.each([
    ['mqtt', 'mqtt://mosquitto:1883'],
    ['mqtt', 'mqtts://broker:8883'],
    ['mqtt', 'tcp://broker'],
    ['mqtt', 'ssl://broker'],
    ['mqtt', 'ws://broker/mqtt'],
    ['mqtt', 'wss://broker/mqtt'],
    ['redis', 'redis://redis:6379'],
    ['redis', 'rediss://u:p@redis:6380/0'],
  ])('accept %s with %s', (type, url) => {
    expect(loadConfig(Bus, { GW_BUS_TYPE: type, GW_BUS_URL: url }).busUrl).toBe(url);
  });

  it('leave the URL unset by default (the local broker)', () => {
    expect(loadConfig(Bus, { GW_BUS_TYPE: 'mqtt' }).busUrl).toBeUndefined();
  });

  it('pass GW_BUS_MAX_PACKET_BYTES to the bus as maxPacketBytes, refusing what is not a size', () => {
    const mqtt = { GW_BUS_TYPE: 'mqtt', GW_BUS_URL: 'mqtt://broker:1883' };
    expect(toBusConfig(loadConfig(Bus, { ...mqtt, GW_BUS_MAX_PACKET_BYTES: '10mb' }), 'x').maxPacketBytes).toBe(10 * 1024 * 1024);
    expect(toBusConfig(loadConfig(Bus, mqtt), 'x').maxPacketBytes).toBeUndefined();
    expect(problem({ ...mqtt, GW_BUS_MAX_PACKET_BYTES: 'lots' })).toMatch(/^invalid configuration: GW_BUS_MAX_PACKET_BYTES: expected a size/);
  });
});

describe('bus TLS settings', () => {
  // A throwaway CA and a client certificate it signed, made once with openssl.
  let dir: string;
  let ca: string;
  let cert: string;
  let key: string;
  let otherKey: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gw-tls-config-'));
    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=ca');
    openssl('req', ...ec, '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=client');
    openssl('x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.crt', '-days', '1');
    [ca, cert, key, otherKey] = ['ca.crt', 'client.crt', 'client.key', 'ca.key'].map((f) => readFileSync(join(dir, f), 'utf8'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const mqtts = { GW_BUS_TYPE: 'mqtt', GW_BUS_URL: 'mqtts://broker:8883' };

  it('reach the bus config: CA, client certificate and key, verification on', () => {
    const config = loadConfig(Bus, { ...mqtts, GW_BUS_TLS_CA: ca, GW_BUS_TLS_CERT: cert, GW_BUS_TLS_KEY: key });
    // Trimmed, as every setting is: PEM does not mind.
    expect(toBusConfig(config, 'core-data').tls).toEqual({ ca: ca.trim(), cert: cert.trim(), key: key.trim(), rejectUnauthorized: true });
  });

  it('are read from files with the _FILE form (a CA bundle of several certificates too)', () => {
    const bundle = join(dir, 'bundle.pem');
    writeFileSync(bundle, `${ca}${cert}`);
    const config = loadConfig(Bus, { ...mqtts, GW_BUS_TLS_CA_FILE: bundle });
    expect(toBusConfig(config, 'x').tls).toEqual({ ca: `${ca}${cert}`.trim(), rejectUnauthorized: true });
  });

  it('are off unless set: a TLS URL alone verifies against the system CAs', () => {
    expect(toBusConfig(loadConfig(Bus, mqtts), 'x').tls).toBeUndefined();
    expect(toBusConfig(loadConfig(Bus, { ...mqtts, GW_BUS_TLS_SKIP_VERIFY: 'true' }), 'x').tls).toEqual({ rejectUnauthorized: false });
  });

  it('refuse a plain URL (or none) with TLS settings, naming the first variable once', () => {
    expect(problem({ GW_BUS_TYPE: 'mqtt', GW_BUS_URL: 'mqtt://u:secret@broker:1883', GW_BUS_TLS_CA: ca, GW_BUS_TLS_SKIP_VERIFY: '1' })).toBe(
      'invalid configuration: GW_BUS_TLS_CA: TLS settings need a TLS bus URL (mqtts://, ssl:// or wss://); GW_BUS_URL is "mqtt://u:***@broker:1883"',
    );
    expect(problem({ GW_METADATA_BUS_TYPE: 'redis', GW_BUS_TLS_SKIP_VERIFY: 'true' }, 'metadata')).toBe(
      'invalid configuration: GW_BUS_TLS_SKIP_VERIFY: TLS settings need a TLS bus URL (rediss://); GW_METADATA_BUS_URL is not set',
    );
  });

  it('refuse a certificate without its key and the other way round', () => {
    expect(problem({ ...mqtts, GW_BUS_TLS_CERT: cert })).toBe(
      'invalid configuration: GW_BUS_TLS_CERT: a client certificate needs its key: set GW_BUS_TLS_KEY',
    );
    expect(problem({ ...mqtts, GW_BUS_TLS_KEY: key })).toBe(
      'invalid configuration: GW_BUS_TLS_KEY: a client key needs its certificate: set GW_BUS_TLS_CERT',
    );
  });

  it('refuse a key that is not the certificate\'s', () => {
    expect(problem({ ...mqtts, GW_BUS_TLS_CERT: cert, GW_BUS_TLS_KEY: otherKey })).toBe(
      'invalid configuration: GW_BUS_TLS_KEY: is not the key of the certificate in GW_BUS_TLS_CERT',
    );
  });

  it('refuse what is not PEM, hinting at _FILE for a path, and never echo a key', () => {
    expect(problem({ ...mqtts, GW_BUS_TLS_CA: '/etc/ssl/plant-ca.pem' })).toBe(
      'invalid configuration: GW_BUS_TLS_CA: expected PEM certificates (-----BEGIN CERTIFICATE-----...); ' +
        'a file\'s path goes in the variable\'s _FILE form, got "/etc/ssl/plant-ca.pem"',
    );
    expect(problem({ ...mqtts, GW_BUS_TLS_CA: '-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----' })).toMatch(
      /^invalid configuration: GW_BUS_TLS_CA: expected PEM certificates/,
    );
    const broken = key.replace(/\n[A-Za-z0-9+/]{10}/, '\nAAAAAAAAAA');
    const message = problem({ ...mqtts, GW_BUS_TLS_CERT: cert, GW_BUS_TLS_KEY: broken });
    expect(message).toMatch(/^invalid configuration: GW_BUS_TLS_KEY: expected an unencrypted PEM private key .*, got "\*\*\*"$/);
    expect(message).not.toContain('PRIVATE KEY-----\n');
  });
});
