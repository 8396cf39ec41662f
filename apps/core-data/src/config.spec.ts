import { ErrorKind, GatewayError } from '@gw/contracts';
import { DEFAULT_CORE_DATA_SETTINGS, loadCoreDataConfig } from './config';

describe('core-data configuration', () => {
  it('defaults to port 59880, SQLite under ./data, durable name core-data, crash-safe acknowledgement, 7 days of retention', () => {
    const config = loadCoreDataConfig({});
    expect(config).toMatchObject({
      port: 59880,
      database: { type: 'sqlite', path: './data/core-data.db' },
      durableName: 'core-data',
      maxInFlight: 1000,
      retentionMaxAge: 7 * 24 * 3_600_000,
      retentionMaxEvents: 0,
    });
    expect(DEFAULT_CORE_DATA_SETTINGS).toMatchObject({ batchSize: config.batchSize, flushInterval: 50, queueLimit: config.queueLimit });
  });

  it('reads GW_CORE_DATA_<NAME> before the shared GW_<NAME>', () => {
    const config = loadCoreDataConfig({
      GW_CORE_DATA_PORT: '7000',
      GW_PORT: '8000',
      GW_BUS_TYPE: 'mqtt',
      GW_CORE_DATA_FLUSH_INTERVAL: '250ms',
      GW_CORE_DATA_RETENTION_MAX_AGE: '24h',
    });
    expect(config).toMatchObject({ port: 7000, busType: 'mqtt', flushInterval: 250, retentionMaxAge: 86_400_000 });
  });

  it('bounds readings per event: 10,000 by default, GW_CORE_DATA_MAX_READINGS_PER_EVENT to change it', () => {
    expect(loadCoreDataConfig({}).maxReadingsPerEvent).toBe(10_000);
    expect(DEFAULT_CORE_DATA_SETTINGS.maxReadingsPerEvent).toBe(10_000);
    expect(loadCoreDataConfig({ GW_CORE_DATA_MAX_READINGS_PER_EVENT: '500' }).maxReadingsPerEvent).toBe(500);
    expect(() => loadCoreDataConfig({ GW_CORE_DATA_MAX_READINGS_PER_EVENT: '0' })).toThrow(/GW_CORE_DATA_MAX_READINGS_PER_EVENT/);
  });

  it('checks devices against core-metadata by default, found at GW_CORE_DATA_METADATA_URL or the shared GW_METADATA_URL', () => {
    expect(loadCoreDataConfig({})).toMatchObject({ deviceCheck: true, metadataUrl: 'http://localhost:59881', deviceRefreshInterval: 600_000 });
    expect(loadCoreDataConfig({ GW_METADATA_URL: 'http://core-metadata:59881' }).metadataUrl).toBe('http://core-metadata:59881');
    expect(loadCoreDataConfig({ GW_METADATA_URL: 'http://a:1', GW_CORE_DATA_METADATA_URL: 'http://b:2' }).metadataUrl).toBe('http://b:2');
    expect(loadCoreDataConfig({ GW_CORE_DATA_DEVICE_CHECK: 'false' }).deviceCheck).toBe(false);
    expect(DEFAULT_CORE_DATA_SETTINGS).toMatchObject({ deviceCheck: true, deviceRefreshInterval: 600_000 });
    expect(() => loadCoreDataConfig({ GW_METADATA_URL: 'core-metadata:59881' })).toThrow(/GW_METADATA_URL/);
  });

  it('refuses wrong settings at boot, naming the variables', () => {
    const load = (env: Record<string, string>) => {
      try {
        loadCoreDataConfig(env);
      } catch (err) {
        expect(GatewayError.is(err, ErrorKind.Config)).toBe(true);
        return (err as Error).message;
      }
      throw new Error('expected a configuration error');
    };
    expect(load({ GW_CORE_DATA_BATCH_SIZE: '0' })).toMatch(/GW_CORE_DATA_BATCH_SIZE/);
    // Retired: refused with the reason, not ignored.
    expect(load({ GW_CORE_DATA_ACK_MODE: 'queued' })).toMatch(/GW_CORE_DATA_ACK_MODE is no longer read: core-data always acknowledges a bus event once it is committed/);
    expect(load({ GW_CORE_DATA_RETENTION_MAX_AGE: '7d' })).toMatch(/GW_CORE_DATA_RETENTION_MAX_AGE/);
    expect(load({ GW_CORE_DATA_BATCH_SIZE: '5000', GW_CORE_DATA_QUEUE_LIMIT: '100' })).toMatch(
      /GW_CORE_DATA_QUEUE_LIMIT: must be at least GW_CORE_DATA_BATCH_SIZE/,
    );
    expect(load({ GW_CORE_DATA_RETENTION_INTERVAL: '0' })).toMatch(/GW_CORE_DATA_RETENTION_INTERVAL/);
  });
});
