import { ErrorKind } from '@gw/contracts';
import { DRIVERS } from '@gw/drivers';
import { loadGatewayConfig, serviceDatabase } from './config';

describe('gateway configuration', () => {
  it('hosts every driver that idles without hardware, each on its EdgeX port', () => {
    const { deviceServices } = loadGatewayConfig({});
    expect(deviceServices.map(({ driver, serviceName, port }) => ({ driver, serviceName, port }))).toEqual(
      DRIVERS.filter((d) => d.hostedByDefault).map((d) => ({ driver: d.name, serviceName: d.serviceName, port: d.defaultPort })),
    );
    expect(deviceServices).toContainEqual(expect.objectContaining({ serviceName: 'device-modbus', port: 59901 }));
    expect(deviceServices.find((s) => s.driver === 'modbus')?.driverSettings).toMatchObject({ maxRegisterGap: 10, scan: [] });
  });

  it('hosts only what GW_DEVICE_SERVICES lists, on GW_<SERVICE>_PORT, with GW_<DRIVER>_* settings', () => {
    const config = loadGatewayConfig({ GW_DEVICE_SERVICES: 'modbus', GW_DEVICE_MODBUS_PORT: '1502', GW_MODBUS_MAX_BIT_GAP: '0', GW_PORT: '1' });
    expect(config.deviceServices).toEqual([
      { driver: 'modbus', serviceName: 'device-modbus', port: 1502, driverSettings: expect.objectContaining({ maxBitGap: 0 }) },
    ]);
    expect(loadGatewayConfig({ GW_DEVICE_SERVICES: 'none' }).deviceServices).toEqual([]);
    expect(loadGatewayConfig({ GW_DEVICE_SERVICES: ' Virtual , virtual' }).deviceServices.map((s) => s.serviceName)).toEqual(['device-virtual']);
  });

  it('reads the user’s profiles, devices, watchers, pipelines and units from GW_RESOURCES_DIR, one variable overriding one place', () => {
    const underData = loadGatewayConfig({ GW_DATA_DIR: '/var/lib/gw' });
    expect(underData).toMatchObject({
      resourcesDir: '/var/lib/gw/resources',
      profilesDir: '/var/lib/gw/resources/profiles',
      devicesDir: '/var/lib/gw/resources/devices',
      provisionWatchersDir: '/var/lib/gw/resources/provision-watchers',
      pipelinesFile: '/var/lib/gw/resources/app-service/pipelines.yaml',
      metadata: expect.objectContaining({ unitsFile: '/var/lib/gw/resources/uom.yaml' }),
    });
    expect(loadGatewayConfig({}).profilesDir).toBe('data/resources/profiles');
    const own = loadGatewayConfig({ GW_RESOURCES_DIR: '/srv/plant', GW_PROFILES_DIR: '/srv/profiles', GW_METADATA_UNITS_FILE: '/srv/units.yaml' });
    expect(own).toMatchObject({ resourcesDir: '/srv/plant', profilesDir: '/srv/profiles', devicesDir: '/srv/plant/devices', metadata: expect.objectContaining({ unitsFile: '/srv/units.yaml' }) });
  });

  it('refuses an unknown driver, a bad port and a bad driver setting by their variables', () => {
    expect(() => loadGatewayConfig({ GW_DEVICE_SERVICES: 'virtual,canbus' })).toThrow(/GW_DEVICE_SERVICES: expected a comma-separated list of drivers \(known: virtual, modbus/);
    expect(() => loadGatewayConfig({ GW_DEVICE_VIRTUAL_PORT: 'x' })).toThrow(/GW_DEVICE_VIRTUAL_PORT: expected an integer 0-65535/);
    expect(() => loadGatewayConfig({ GW_MODBUS_SCAN: 'udp://plc' })).toThrow(/GW_MODBUS_SCAN: modbus scan target "udp:\/\/plc"/);
  });

  it('keeps each service in its own SQLite file, its own database, or its own schema of GW_DATABASE', () => {
    expect(serviceDatabase(loadGatewayConfig({ GW_DATA_DIR: '/var/gw' }), 'coreData')).toEqual({ type: 'sqlite', path: '/var/gw/core-data.db' });
    const shared = loadGatewayConfig({
      GW_DATABASE: 'postgres://gw@db:5432/plant',
      GW_CORE_DATA_DATABASE: 'postgres://gw@fast-db:5432/history?schema=readings',
    });
    expect(serviceDatabase(shared, 'metadata')).toEqual({ type: 'postgres', url: 'postgres://gw@db:5432/plant', schema: 'metadata' });
    expect(serviceDatabase(shared, 'coreData')).toEqual({ type: 'postgres', url: 'postgres://gw@fast-db:5432/history', schema: 'readings' });
  });

  it('refuses a GW_DATABASE the services cannot share, saying what to set instead', () => {
    expect(() => loadGatewayConfig({ GW_DATABASE: 'sqlite:./data/all.db' })).toThrow(
      'invalid configuration: GW_DATABASE: the gateway keeps one SQLite file per service in GW_DATA_DIR: set GW_DATA_DIR (or GW_METADATA_DATABASE and GW_CORE_DATA_DATABASE) instead',
    );
    expect(() => loadGatewayConfig({ GW_DATABASE: 'postgres://gw:secret@db/plant?schema=gw' })).toThrow(
      'invalid configuration: GW_DATABASE: the gateway puts each service in its own schema of this database (metadata, core_data): leave schema= out',
    );
  });

  it('reads CORS origins, core-metadata’s profile limits and every core-data setting as the services alone do', () => {
    const config = loadGatewayConfig({
      GW_CORS_ORIGINS: 'https://console.plant.local,http://localhost:4000',
      GW_METADATA_MAX_PROFILE_RESOURCES: '200',
      GW_METADATA_MAX_PROFILE_OPERATIONS: '300',
      GW_CORE_DATA_MAX_CONCURRENT_QUERIES: '2',
      GW_CORE_DATA_MAX_IN_FLIGHT: '250',
      GW_CORE_DATA_DEVICE_CHECK: 'false',
      GW_CORE_DATA_DEVICE_ASK_RATE: '5',
    });
    expect(config).toMatchObject({
      corsOrigins: ['https://console.plant.local', 'http://localhost:4000'],
      metadata: { maxProfileResources: 200, maxProfileCommands: 5000, maxProfileOperations: 300 },
      coreData: { maxConcurrentQueries: 2, queryQueueLimit: 500, maxInFlight: 250, deviceCheck: false, deviceAskRate: 5 },
    });
  });

  it('checks core-data’s settings against each other as core-data does', () => {
    expect(() => loadGatewayConfig({ GW_CORE_DATA_BATCH_SIZE: '100', GW_CORE_DATA_QUEUE_LIMIT: '10' })).toThrow(
      /GW_CORE_DATA_QUEUE_LIMIT: must be at least GW_CORE_DATA_BATCH_SIZE \(100\), got 10/,
    );
    expect(() => loadGatewayConfig({ GW_CORE_DATA_ACK_MODE: 'queued' })).toThrow(/GW_CORE_DATA_ACK_MODE is no longer read/);
  });

  it('does not read a disabled driver’s settings', () => {
    expect(loadGatewayConfig({ GW_DEVICE_SERVICES: 'virtual', GW_MODBUS_SCAN: 'udp://plc' }).deviceServices).toHaveLength(1);
  });

  it('refuses the variables GW_DEVICE_SERVICES replaced instead of ignoring them', () => {
    expect(() => loadGatewayConfig({ GW_DEVICE_MODBUS: 'false' })).toThrow(
      expect.objectContaining({ kind: ErrorKind.Config, message: expect.stringMatching(/GW_DEVICE_MODBUS is no longer read: use GW_DEVICE_SERVICES/) }),
    );
  });

  it('lists every problem at once: retired variables, general settings, ports and driver settings', () => {
    const env = {
      GW_DEVICE_VIRTUAL: 'false',
      GW_METADATA_PORT: 'x',
      GW_METADATA_DATABASE: 'postgres://admin:hunter2@host:99999/db',
      GW_DEVICE_VIRTUAL_PORT: 'y',
      GW_MODBUS_SCAN: 'udp://plc',
    };
    let message = '';
    try {
      loadGatewayConfig(env);
    } catch (err) {
      expect(err).toMatchObject({ kind: ErrorKind.Config });
      message = (err as Error).message;
    }
    expect(message).toMatch(/^invalid configuration: GW_DEVICE_VIRTUAL is no longer read: use GW_DEVICE_SERVICES/);
    for (const problem of [
      'GW_METADATA_PORT: expected an integer 0-65535, got "x"',
      'GW_METADATA_DATABASE: expected sqlite:<file> or postgres://user@host:5432/db, got "postgres://admin:***@host:99999/db"',
      'GW_DEVICE_VIRTUAL_PORT: expected an integer 0-65535, got "y"',
      'GW_MODBUS_SCAN: modbus scan target "udp://plc"',
    ]) {
      expect(message).toContain(problem);
    }
    expect(message).not.toContain('hunter2');
    expect(message.match(/invalid configuration/g)).toHaveLength(1);
  });
});
