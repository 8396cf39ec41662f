import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ErrorKind, GatewayError } from '@gw/contracts';
import {
  bool,
  byteSize,
  commonServiceConfig,
  duration,
  envNames,
  field,
  int,
  loadConfig,
  oneOf,
  port,
  secret,
  secretKeysOf,
  text,
  url,
} from './fields';
import { databaseUrl } from './infrastructure';

const Metadata = z.object({
  ...commonServiceConfig({ serviceName: 'core-metadata', port: 59881 }),
  requestTimeout: duration().default('5s'),
  strict: bool().default(false),
  registry: url().optional(),
  poolSize: int(1, 100).default(10),
  dbPassword: secret(text()).optional(),
});

function configError(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (err) {
    if (GatewayError.is(err, ErrorKind.Config)) return err;
    throw err;
  }
  throw new Error('expected a config error');
}

describe('loadConfig', () => {
  it('applies defaults when nothing is set', () => {
    const config = loadConfig(Metadata, {}, 'metadata');
    expect(JSON.parse(JSON.stringify(config))).toEqual({
      serviceName: 'core-metadata',
      host: '0.0.0.0',
      port: 59881,
      logLevel: 'info',
      logFormat: 'auto',
      maxBody: 4 * 1024 * 1024,
      dataDir: './data',
      openapiUi: true,
      requestTimeout: 5000,
      strict: false,
      poolSize: 10,
    });
  });

  it('reads GW_OPENAPI_UI (Swagger UI at /api/v3/docs) and refuses a value that is not a boolean, naming it', () => {
    expect(loadConfig(Metadata, { GW_OPENAPI_UI: 'false' }, 'metadata').openapiUi).toBe(false);
    expect(() => loadConfig(Metadata, { GW_OPENAPI_UI: 'nope' }, 'metadata')).toThrow(/GW_OPENAPI_UI/);
  });

  it('reads GW_<SERVICE>_<KEY> before the shared GW_<KEY>', () => {
    expect(envNames('maxBody', 'metadata')).toEqual(['GW_METADATA_MAX_BODY', 'GW_MAX_BODY']);
    expect(envNames('logLevel', 'core-data')).toEqual(['GW_CORE_DATA_LOG_LEVEL', 'GW_LOG_LEVEL']);
    expect(envNames('apiKey')).toEqual(['GW_API_KEY']);
    const config = loadConfig(
      Metadata,
      { GW_PORT: '1000', GW_METADATA_PORT: '6001', GW_LOG_LEVEL: 'DEBUG', GW_MAX_BODY: '512kb', GW_STRICT: '1' },
      'metadata',
    );
    expect(config).toMatchObject({ port: 6001, logLevel: 'debug', maxBody: 512 * 1024, strict: true });
  });

  it('names the variable and what it expects, listing every wrong setting at once', () => {
    const err = configError(() =>
      loadConfig(
        Metadata,
        { GW_METADATA_PORT: 'abc', GW_LOG_LEVEL: 'loud', GW_REQUEST_TIMEOUT: '5 seconds', GW_MAX_BODY: 'big' },
        'metadata',
      ),
    );
    expect(err.message).toContain('GW_METADATA_PORT: expected an integer 0-65535, got "abc"');
    expect(err.message).toContain('GW_LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"');
    expect(err.message).toContain('GW_REQUEST_TIMEOUT: expected a duration such as 500ms, 20s, 1m or 1h30m, got "5 seconds"');
    expect(err.message).toContain('GW_MAX_BODY: expected a size such as 512kb, 4mb or 1048576, got "big"');
  });

  it('reports a missing required setting by its most specific name', () => {
    const schema = z.object({ database: text() });
    expect(configError(() => loadConfig(schema, {}, 'core-data')).message).toBe(
      'invalid configuration: GW_CORE_DATA_DATABASE: required: expected a non-empty text',
    );
  });

  it('treats empty values as unset (compose passes unset variables through as "")', () => {
    expect(loadConfig(Metadata, { GW_API_KEY: '', GW_PORT: '' })).toMatchObject({ port: 59881 });
    expect(loadConfig(Metadata, { GW_API_KEY: '' }).apiKey).toBeUndefined();
  });

  it('reads <NAME>_FILE for secrets mounted as files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-cfg-'));
    try {
      writeFileSync(join(dir, 'key'), 's3cret-key\n');
      expect(loadConfig(Metadata, { GW_API_KEY_FILE: join(dir, 'key') }).apiKey).toBe('s3cret-key');
      expect(configError(() => loadConfig(Metadata, { GW_API_KEY_FILE: join(dir, 'nope') })).message).toMatch(
        /GW_API_KEY_FILE: cannot read .*nope/,
      );
      expect(
        configError(() => loadConfig(Metadata, { GW_API_KEY: 'a', GW_API_KEY_FILE: join(dir, 'key') })).message,
      ).toContain('set either GW_API_KEY or GW_API_KEY_FILE, not both');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('never echoes a secret value in an error', () => {
    const schema = z.object({ token: secret(int(1, 5)) });
    const err = configError(() => loadConfig(schema, { GW_TOKEN: '987654' }));
    expect(err.message).toBe('invalid configuration: GW_TOKEN: expected an integer 1-5, got "***"');
  });

  it('echoes a wrong URL or connection string with its credentials hidden', () => {
    const schema = z.object({
      metadataDatabase: databaseUrl().optional(),
      coreDataDatabase: databaseUrl().optional(),
      registry: url().optional(),
      dsn: field('a DSN with a host', (v) => (String(v).includes('host=') ? v : undefined)).optional(),
      target: text()
        .refine((v) => !v.includes('?'), (v) => ({ message: `no query string in ${JSON.stringify(v)}` }))
        .optional(),
    });
    const message = configError(() =>
      loadConfig(schema, {
        // Not valid URLs at all (a bad port, a password with / and @): hidden up to the last @.
        GW_METADATA_DATABASE: 'postgres://admin:hunter2@host:99999/db',
        GW_CORE_DATA_DATABASE: 'postgres://admin:hun/t@er2@host/db?poolSize=x',
        // A valid URL of the wrong kind, a DSN, and a message of a schema's own that quotes the value.
        GW_REGISTRY: 'ftp://reg:s3cret@registry.local/v2',
        GW_DSN: 'user=gw password=hunter2 dbname=x',
        GW_TARGET: 'mqtt://plc:topsecret@broker?x=1',
      }),
    ).message;
    expect(message).toContain('GW_METADATA_DATABASE: expected sqlite:<file> or postgres://user@host:5432/db, got "postgres://admin:***@host:99999/db"');
    expect(message).toContain('GW_CORE_DATA_DATABASE: expected sqlite:<file> or postgres://user@host:5432/db, got "postgres://admin:***@host/db?poolSize=x"');
    expect(message).toContain('GW_REGISTRY: expected a URL (http: https:), got "ftp://reg:***@registry.local/v2"');
    expect(message).toContain('GW_DSN: expected a DSN with a host, got "user=gw password=*** dbname=x"');
    expect(message).toContain('GW_TARGET: no query string in "mqtt://plc:***@broker?x=1"');
    for (const password of ['hunter2', 'hun/t', 'er2@', 's3cret', 'topsecret']) expect(message).not.toContain(password);
  });

  it('remembers which keys are secret, invisibly', () => {
    const config = loadConfig(Metadata, { GW_API_KEY: 'k', GW_DB_PASSWORD: 'p' });
    expect(secretKeysOf(config).sort()).toEqual(['apiKey', 'dbPassword']);
    expect(Object.keys(config)).not.toContain('gw.secretKeys');
  });
});

describe('field helpers', () => {
  const parse = <T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, value: unknown) => schema.safeParse(value);

  it('port', () => {
    expect(parse(port(), '8080').data).toBe(8080);
    expect(parse(port(), 0).data).toBe(0);
    for (const bad of ['65536', '-1', '80.5', '1e3', 'x']) expect(parse(port(), bad).success).toBe(false);
  });

  it('duration', () => {
    expect(parse(duration(), '1h30m').data).toBe(5_400_000);
    expect(parse(duration(), '250ms').data).toBe(250);
    expect(parse(duration(), '0').data).toBe(0);
    expect(parse(duration(), '10').success).toBe(false);
  });

  it('bool', () => {
    expect([' TRUE', '1', 'false', '0', true].map((v) => parse(bool(), v).data)).toEqual([true, true, false, false, true]);
    expect(parse(bool(), 'yes').success).toBe(false);
  });

  it('oneOf keeps the listed spelling', () => {
    expect(parse(oneOf(['mqtt', 'redis', 'memory'] as const), 'MQTT').data).toBe('mqtt');
  });

  it('url', () => {
    expect(parse(url(), 'http://core-data:59880').success).toBe(true);
    expect(parse(url(['postgres:']), 'postgres://db/gw').success).toBe(true);
    expect(parse(url(), 'ftp://x').success).toBe(false);
    expect(parse(url(), 'not a url').success).toBe(false);
  });

  it('byteSize uses binary units', () => {
    expect(['1mb', '512KB', '1.5k', '1048576', '2MiB', '1g'].map((v) => parse(byteSize(), v).data)).toEqual([
      1048576, 524288, 1536, 1048576, 2097152, 1073741824,
    ]);
    for (const bad of ['0', '-1mb', '1tb', 'mb']) expect(parse(byteSize(), bad).success).toBe(false);
  });

  it('an API key is visible ASCII only (it goes in an Authorization header); the error never shows it', () => {
    expect(loadConfig(Metadata, { GW_API_KEY: ' k3y-With.Symbols_!~ ' }, 'metadata').apiKey).toBe('k3y-With.Symbols_!~');
    for (const bad of ['part-1\npart-2', 'sp4ce key', 'caf\u00e9-key', 'tab\tkey']) {
      const err = configError(() => loadConfig(Metadata, { GW_API_KEY: bad }, 'metadata'));
      expect(err.message).toMatch(/GW_API_KEY.*visible ASCII characters only/);
      expect(err.message).not.toContain(bad.slice(0, 4));
    }
  });
});
