import { randomUUID } from 'node:crypto';
import { edgexKey } from './edgex-keys';
import { validateDevice, validateEvent, validateProvisionWatcher } from './parse';

const collect = () => {
  const ignored: string[] = [];
  return { ignored, onIgnored: (paths: string[]) => ignored.push(...paths) };
};

describe('JSON read as EdgeX reads it (encoding/json)', () => {
  it('matches keys case-insensitively: a watcher as device-sdk-go sends it loads', () => {
    const seen = collect();
    const watcher = validateProvisionWatcher(
      {
        Name: 'Watcher-1',
        ServiceName: 'device-onvif',
        Identifiers: { Address: '.*' },
        AdminState: 'UNLOCKED',
        DiscoveredDevice: { ProfileName: 'Camera', Properties: { Owner: 'line-2' } },
      },
      { path: '[0].provisionWatcher', onIgnored: seen.onIgnored },
    );
    expect(watcher).toMatchObject({ name: 'Watcher-1', serviceName: 'device-onvif', discoveredDevice: { profileName: 'Camera', properties: { Owner: 'line-2' } } });
    expect(seen.ignored).toEqual([]);
  });

  it('ignores fields no DTO has, reporting their paths: a reading with apiVersion, as EdgeX’s OpenAPI shows it, is stored', () => {
    const seen = collect();
    const origin = Date.now() * 1e6;
    const event = validateEvent(
      {
        apiVersion: 'v3',
        id: randomUUID(),
        deviceName: 'd',
        profileName: 'p',
        sourceName: 's',
        origin,
        readings: [{ apiVersion: 'v3', id: randomUUID(), origin, deviceName: 'd', resourceName: 'r', profileName: 'p', valueType: 'Int16', value: '1', extra: 1 }],
      },
      { path: 'event', onIgnored: seen.onIgnored },
    );
    expect(event.readings[0]).not.toHaveProperty('apiVersion');
    expect(seen.ignored).toEqual(['event.readings[0].apiVersion', 'event.readings[0].extra']);
  });

  it('keeps an exact match over a case variant, and the keys of free-form maps as given', () => {
    const seen = collect();
    const device = validateDevice(
      { name: 'D-1', Name: 'ignored', protocols: { 'modbus-tcp': { Address: 'plc', UnitID: '1' } }, tags: { Line: 2 } },
      { onIgnored: seen.onIgnored },
    );
    expect(device).toMatchObject({ name: 'D-1', protocols: { 'modbus-tcp': { Address: 'plc', UnitID: '1' } }, tags: { Line: 2 } });
    expect(seen.ignored).toEqual(['Name']);
  });

  it('never lets a key such as __proto__ through', () => {
    const seen = collect();
    const device = validateDevice(JSON.parse('{"name": "D-2", "__proto__": {"polluted": true}}'), { onIgnored: seen.onIgnored });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(device)).not.toContain('__proto__');
    expect(seen.ignored).toEqual(['__proto__']);
  });
});

describe('edgexKey', () => {
  it('finds an envelope key exactly, else case-insensitively', () => {
    expect(edgexKey({ provisionWatcher: 1 }, 'provisionWatcher')).toBe(1);
    expect(edgexKey({ provisionwatcher: 2 }, 'provisionWatcher')).toBe(2);
    expect(edgexKey({ ProvisionWatcher: 3, provisionWatcher: 4 }, 'provisionWatcher')).toBe(4);
    expect(edgexKey({}, 'device')).toBeUndefined();
  });
});
