import { ErrorKind } from '@gw/contracts';
import { loadDeviceServiceConfig } from './config';

describe('device service configuration', () => {
  it('defaults to the virtual driver on 59900, talking to core-metadata on localhost', () => {
    const config = loadDeviceServiceConfig({});
    expect(config).toMatchObject({
      serviceName: 'device-virtual',
      port: 59900,
      driver: 'virtual',
      metadataUrl: 'http://localhost:59881',
      autoEvents: true,
      allowedFails: 3,
      discoveryInterval: 0,
      driverTimeout: 30_000,
      busType: 'memory',
      topicBase: 'edgex',
    });
    expect(config.baseAddress).toBeUndefined();
  });

  it('reads GW_DEVICE_SERVICE_* first, then the shared GW_*', () => {
    const config = loadDeviceServiceConfig({
      GW_DEVICE_SERVICE_PORT: '59901',
      GW_PORT: '1',
      GW_DEVICE_SERVICE_SERVICE_NAME: 'device-modbus-a',
      GW_DEVICE_SERVICE_BASE_ADDRESS: 'http://device-modbus-a:59901',
      GW_DEVICE_SERVICE_AUTO_EVENTS: 'false',
      GW_DEVICE_SERVICE_DISCOVERY_INTERVAL: '10m',
      GW_BUS_TYPE: 'mqtt',
    });
    expect(config).toMatchObject({
      port: 59901,
      serviceName: 'device-modbus-a',
      baseAddress: 'http://device-modbus-a:59901',
      autoEvents: false,
      discoveryInterval: 600_000,
      busType: 'mqtt',
    });
  });

  it('reads KubeEdge mapper mode from GW_KUBEEDGE_*: off by default, sockets as absolute paths short enough for a unix socket', () => {
    expect(loadDeviceServiceConfig({})).toMatchObject({ kubeedgeMapper: false, kubeedgeDmiSocket: '/etc/kubeedge/dmi.sock' });
    const config = loadDeviceServiceConfig({
      GW_KUBEEDGE_MAPPER: 'true',
      GW_KUBEEDGE_DMI_SOCKET: '/var/lib/kubeedge/dmi.sock',
      GW_KUBEEDGE_MAPPER_SOCKET: '/etc/kubeedge/virtual.sock',
      GW_KUBEEDGE_PROTOCOL: 'virtual-protocol',
    });
    expect(config).toMatchObject({
      kubeedgeMapper: true,
      kubeedgeDmiSocket: '/var/lib/kubeedge/dmi.sock',
      kubeedgeMapperSocket: '/etc/kubeedge/virtual.sock',
      kubeedgeProtocol: 'virtual-protocol',
    });
    expect(() => loadDeviceServiceConfig({ GW_KUBEEDGE_DMI_SOCKET: 'dmi.sock' })).toThrow(/GW_KUBEEDGE_DMI_SOCKET: expected an absolute path of at most 107 bytes \(a unix socket\), got "dmi.sock"/);
    expect(() => loadDeviceServiceConfig({ GW_KUBEEDGE_MAPPER_SOCKET: `/${'x'.repeat(120)}.sock` })).toThrow(/KUBEEDGE_MAPPER_SOCKET: expected an absolute path/);
    expect(() => loadDeviceServiceConfig({ GW_KUBEEDGE_MAPPER: 'yes please' })).toThrow(/KUBEEDGE_MAPPER: expected true, false, 1 or 0/);
  });

  it('names the variable of a wrong setting', () => {
    expect(() => loadDeviceServiceConfig({ GW_DEVICE_SERVICE_DRIVER: 'canbus' })).toThrow(/GW_DEVICE_SERVICE_DRIVER: expected one of virtual/);
    expect(() => loadDeviceServiceConfig({ GW_DEVICE_SERVICE_ALLOWED_FAILS: '0' })).toThrow(/GW_DEVICE_SERVICE_ALLOWED_FAILS/);
  });

  it('takes the service name and port of the chosen driver unless they are set', () => {
    expect(loadDeviceServiceConfig({ GW_DEVICE_SERVICE_DRIVER: 'modbus' })).toMatchObject({ driver: 'modbus', serviceName: 'device-modbus', port: 59901 });
    expect(loadDeviceServiceConfig({ GW_DEVICE_SERVICE_DRIVER: 'MODBUS', GW_DEVICE_SERVICE_PORT: '1502' })).toMatchObject({ driver: 'modbus', port: 1502 });
  });

  it("reads the driver's own settings from GW_<DRIVER>_* only", () => {
    const config = loadDeviceServiceConfig({ GW_DEVICE_SERVICE_DRIVER: 'modbus', GW_MODBUS_MAX_REGISTER_GAP: '0', GW_MODBUS_UNIT_BACKOFF: '2s', GW_SCAN: 'tcp://x' });
    expect(config.driverSettings).toMatchObject({ maxRegisterGap: 0, unitBackoff: 2000, probeTimeout: 300, scan: [] });
    expect(() => loadDeviceServiceConfig({ GW_DEVICE_SERVICE_DRIVER: 'modbus', GW_MODBUS_MAX_REGISTERS: '126' })).toThrow(/GW_MODBUS_MAX_REGISTERS: expected an integer 1-125/);
  });

  it('refuses a bad Modbus scan list at boot, naming the variable and the entry', () => {
    const config = loadDeviceServiceConfig({ GW_DEVICE_SERVICE_DRIVER: 'modbus', GW_MODBUS_SCAN: 'tcp://127.0.0.1:1502?units=1-3' });
    expect(config.driverSettings.scan).toEqual([expect.objectContaining({ units: [1, 2, 3] })]);
    expect(() => loadDeviceServiceConfig({ GW_DEVICE_SERVICE_DRIVER: 'modbus', GW_MODBUS_SCAN: 'ftp://plc' })).toThrow(
      /^invalid configuration: GW_MODBUS_SCAN: modbus scan target "ftp:\/\/plc"/,
    );
  });

  it('refuses the GW_DEVICE_SERVICE_<DRIVER>_* variables of earlier releases, naming what replaced them', () => {
    expect(() => loadDeviceServiceConfig({ GW_DEVICE_SERVICE_DRIVER: 'modbus', GW_DEVICE_SERVICE_MODBUS_SCAN: 'tcp://plc' })).toThrow(
      expect.objectContaining({
        kind: ErrorKind.Config,
        message: 'invalid configuration: GW_DEVICE_SERVICE_MODBUS_SCAN is no longer read: use GW_MODBUS_SCAN',
      }),
    );
    // Whichever driver runs (the variable names another driver's setting all the same), and the _FILE form too.
    expect(() => loadDeviceServiceConfig({ GW_DEVICE_SERVICE_MODBUS_MAX_REGISTER_GAP: '0' })).toThrow(
      /GW_DEVICE_SERVICE_MODBUS_MAX_REGISTER_GAP is no longer read: use GW_MODBUS_MAX_REGISTER_GAP/,
    );
    expect(() => loadDeviceServiceConfig({ GW_DEVICE_SERVICE_MODBUS_UNIT_BACKOFF_FILE: '/run/secrets/x' })).toThrow(
      /GW_DEVICE_SERVICE_MODBUS_UNIT_BACKOFF_FILE is no longer read: use GW_MODBUS_UNIT_BACKOFF_FILE/,
    );
    expect(loadDeviceServiceConfig({ GW_DEVICE_SERVICE_MODBUS_SCAN: '' }).driver).toBe('virtual');
  });

  it('lists every problem at once: retired variables, general settings and driver settings', () => {
    let message = '';
    try {
      loadDeviceServiceConfig({
        GW_DEVICE_SERVICE_DRIVER: 'modbus',
        GW_DEVICE_SERVICE_MODBUS_SCAN: 'tcp://plc',
        GW_DEVICE_SERVICE_PORT: 'x',
        GW_ALLOWED_FAILS: '0',
        GW_MODBUS_MAX_REGISTERS: '126',
      });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^invalid configuration: /);
    expect(message.split('; ').map((problem) => problem.replace(/^invalid configuration: /, '').split(':')[0])).toEqual([
      'GW_DEVICE_SERVICE_MODBUS_SCAN is no longer read',
      'GW_DEVICE_SERVICE_PORT',
      'GW_ALLOWED_FAILS',
      'GW_MODBUS_MAX_REGISTERS',
    ]);
    // A wrong driver is reported with the rest (the other settings checked with the default driver's defaults).
    expect(() => loadDeviceServiceConfig({ GW_DEVICE_SERVICE_DRIVER: 'canbus', GW_DEVICE_SERVICE_PORT: 'x' })).toThrow(
      /^invalid configuration: (?=.*GW_DEVICE_SERVICE_DRIVER: expected one of virtual, modbus, opcua(, \w+)*, got "canbus")(?=.*GW_DEVICE_SERVICE_PORT: expected an integer)/,
    );
  });
});
