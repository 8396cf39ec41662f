import { ErrorKind } from '@gw/contracts';
import { loadDeviceServiceConfig } from './config';
import { loadDriver } from './drivers';

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

  it('names the variable of a wrong setting', () => {
    expect(() => loadDeviceServiceConfig({ GW_DEVICE_SERVICE_DRIVER: 'canbus' })).toThrow(/GW_DEVICE_SERVICE_DRIVER: expected one of virtual/);
    expect(() => loadDeviceServiceConfig({ GW_DEVICE_SERVICE_ALLOWED_FAILS: '0' })).toThrow(/GW_DEVICE_SERVICE_ALLOWED_FAILS/);
  });

  it('refuses an unknown driver with a configuration error', async () => {
    await expect(loadDriver('canbus')).rejects.toMatchObject({ kind: ErrorKind.Config });
  });

  it('reads Modbus driver settings, per service or shared', () => {
    const config = loadDeviceServiceConfig({ GW_DEVICE_SERVICE_MODBUS_MAX_REGISTER_GAP: '0', GW_MODBUS_UNIT_BACKOFF: '2s' });
    expect(config).toMatchObject({ modbusMaxRegisterGap: 0, modbusUnitBackoff: 2000, modbusProbeTimeout: 300 });
    expect(() => loadDeviceServiceConfig({ GW_MODBUS_MAX_REGISTERS: '126' })).toThrow(/GW_MODBUS_MAX_REGISTERS: expected an integer 1-125/);
  });

  it('loads the modbus driver, refusing a bad scan list by its variable', async () => {
    const driver = await loadDriver('modbus', { modbusScan: 'tcp://127.0.0.1:1502' });
    expect(driver.constructor.name).toBe('ModbusDriver');
    await expect(loadDriver('modbus', { modbusScan: 'ftp://plc' })).rejects.toMatchObject({
      kind: ErrorKind.Config,
      message: expect.stringMatching(/^invalid configuration: GW_DEVICE_SERVICE_MODBUS_SCAN \(or GW_MODBUS_SCAN\): .*ftp:\/\/plc/),
    });
  });
});
