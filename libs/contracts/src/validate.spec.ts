import { issuesOf } from '../fixtures';
import { ErrorKind, ValidationError } from './errors';
import { validateDevice, validateDeviceProfile, validateDeviceService, validateEvent, validateProvisionWatcher } from './parse';

const reading = { origin: 1, deviceName: 'Meter', resourceName: 'Flow', profileName: 'Meter-Profile' };
const event = {
  id: '5b3a4f0e-7a5f-4b44-9b1e-0d6f0f7d8a11',
  deviceName: 'Meter',
  profileName: 'Meter-Profile',
  sourceName: 'Flow',
  origin: 1,
  readings: [{ ...reading, valueType: 'Float32', value: '1.5' }],
};

describe('validate* for REST bodies', () => {
  it('throws a ContractInvalid ValidationError naming the field under the request path', () => {
    const run = () => validateDevice({ name: 'Meter', adminState: 'OPEN' }, { path: '[3].device', source: 'POST /device' });
    expect(run).toThrow(/^POST \/device: \[3\]\.device\.adminState: "OPEN" is not one of LOCKED, UNLOCKED$/);
    const error = (() => {
      try {
        return run();
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ kind: ErrorKind.ContractInvalid, issues: [{ path: '[3].device.adminState' }] });
    expect((error as ValidationError).issues[0]).not.toHaveProperty('line');
  });

  it('refuses a number beyond float64 (JSON.parse reads 1e999 as Infinity, which would be stored and answered as null), naming the field', () => {
    const profile = (offset: unknown) => ({
      name: 'Meter-Profile',
      deviceResources: [{ name: 'Flow', properties: { valueType: 'Float32', readWrite: 'R', offset } }],
    });
    for (const offset of [JSON.parse('1e999'), '-1e999']) {
      expect(() => validateDeviceProfile(profile(offset), { path: '[0].profile' })).toThrow(/\[0\]\.profile\.deviceResources\[0\]\.properties\.offset: must be a finite number/);
    }
    expect(validateDeviceProfile(profile('1e300')).deviceResources[0].properties.offset).toBe(1e300);
  });

  it('fills EdgeX defaults', () => {
    expect(validateDevice({ name: 'Meter' })).toEqual({ name: 'Meter', adminState: 'UNLOCKED', operatingState: 'UP', protocols: {} });
  });

  it('quotes keys that are not plain identifiers', () => {
    const issues = issuesOf(() => validateDevice({ name: 'Meter', protocols: { 'modbus tcp': 'x' } }));
    expect(issues).toEqual([{ path: 'protocols["modbus tcp"]', message: 'Expected object, received string' }]);
  });

  it('validates a device service', () => {
    expect(validateDeviceService({ name: 'device-modbus', baseAddress: 'http://localhost:59901' }).adminState).toBe('UNLOCKED');
    expect(issuesOf(() => validateDeviceService({ name: 'device modbus' }, { path: 'service' }))).toEqual([
      { path: 'service.name', message: 'must not contain spaces or any of / # + ? & % (names go into bus topics and URL paths)' },
      { path: 'service.baseAddress', message: 'is required' },
    ]);
  });

  it('validates a provision watcher', () => {
    const watcher = { name: 'W', identifiers: { Address: 'x' }, discoveredDevice: { autoEvents: [{ interval: '5', sourceName: 'S' }] } };
    expect(issuesOf(() => validateProvisionWatcher(watcher))).toEqual([
      { path: 'discoveredDevice.autoEvents[0].interval', message: 'must be a duration such as 500ms, 20s, 1m or 1h30m' },
    ]);
  });
});

describe('validateEvent', () => {
  it('accepts simple, binary and object readings', () => {
    const readings = [
      { ...reading, valueType: 'Float32', value: '1.5' },
      { ...reading, valueType: 'Binary', binaryValue: 'AAEC', mediaType: 'image/png' },
      { ...reading, valueType: 'Object', objectValue: { a: 1 } },
    ];
    expect(validateEvent({ ...event, readings }).readings).toHaveLength(3);
  });

  it('requires the value field that the valueType calls for', () => {
    const readings = [
      { ...reading, valueType: 'Int16' },
      { ...reading, valueType: 'Binary', value: 'AAEC' },
      { ...reading, valueType: 'Object', value: '{}' },
    ];
    expect(issuesOf(() => validateEvent({ ...event, readings }, { path: 'event' }))).toEqual([
      { path: 'event.readings[0].value', message: 'is required for valueType Int16' },
      { path: 'event.readings[1].binaryValue', message: 'is required for valueType Binary' },
      { path: 'event.readings[2].objectValue', message: 'is required for valueType Object' },
    ]);
  });

  it('names a bad field inside a reading rather than the whole reading', () => {
    const readings = [{ ...reading, valueType: 'Float32', value: '1.5', origin: 'now' }];
    expect(issuesOf(() => validateEvent({ ...event, readings }))).toEqual([
      { path: 'readings[0].origin', message: 'Expected number, received string' },
    ]);
  });

  it('refuses an event without readings', () => {
    expect(issuesOf(() => validateEvent({ ...event, readings: [] }))).toEqual([
      { path: 'readings', message: 'an event carries at least one reading' },
    ]);
  });
});
