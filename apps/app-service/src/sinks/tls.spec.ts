import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TlsSchema } from './sink-config';
import { tlsOptions, warnIfInsecure } from './tls';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nsecret-key-material\n-----END PRIVATE KEY-----\n';

describe('tlsOptions', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gw-tls-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('passes inline PEM through and reads a path as a PEM file', () => {
    const keyFile = join(dir, 'key.pem');
    writeFileSync(keyFile, KEY);
    const options = tlsOptions(TlsSchema.parse({ ca: PEM, cert: PEM, key: keyFile, servername: 'broker.example' }));
    expect(options).toEqual({ ca: PEM, cert: PEM, key: KEY, rejectUnauthorized: true, servername: 'broker.example' });
  });

  it('keeps rejectUnauthorized: false and gives no options without a tls section', () => {
    expect(tlsOptions(TlsSchema.parse({ rejectUnauthorized: false }))).toEqual({ rejectUnauthorized: false });
    expect(tlsOptions(undefined)).toEqual({});
  });

  it('names the field and path of a file it cannot read', () => {
    const missing = join(dir, 'absent.pem');
    expect(() => tlsOptions(TlsSchema.parse({ cert: missing }))).toThrow(`tls.cert: cannot read PEM file "${missing}" (ENOENT)`);
  });

  it('refuses a file that is not PEM without echoing its content', () => {
    const notPem = join(dir, 'key.txt');
    writeFileSync(notPem, 'secret-key-material');
    let message = '';
    try {
      tlsOptions(TlsSchema.parse({ key: notPem }));
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe(`tls.key: "${notPem}" is not a PEM file (no -----BEGIN line)`);
  });
});

describe('warnIfInsecure', () => {
  it('warns only when certificate verification is off (the sink’s own logger names the sink)', () => {
    const warn = jest.fn();
    const logger = { debug: jest.fn(), info: jest.fn(), warn, error: jest.fn() };
    warnIfInsecure(TlsSchema.parse({}), logger);
    warnIfInsecure(undefined, logger);
    expect(warn).not.toHaveBeenCalled();
    warnIfInsecure(TlsSchema.parse({ rejectUnauthorized: false }), logger);
    expect(warn).toHaveBeenCalledWith({}, expect.stringContaining('verification is off'));
  });
});
