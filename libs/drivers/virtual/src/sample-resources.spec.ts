/**
 * The sample profiles and devices `npm start` loads (resources/) must parse,
 * fit together, pass the virtual driver's checks, and produce readings.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  canRead,
  canWrite,
  checkDeviceAgainstProfile,
  commandsOf,
  Device,
  DeviceProfile,
  findCommand,
  findResource,
  parseDeviceList,
  parseDeviceProfile,
  parseDuration,
} from '@gw/contracts';
import type { CommandRequest, RawValue, WriteRequest } from '@gw/device-sdk/driver';
import { mapForRead, toReading, toWriteValue } from '@gw/device-sdk/values';
import { seededRandom, VirtualDriver } from './index';

const RESOURCES = join(__dirname, '../../../../resources');
const yamlFiles = (dir: string) =>
  readdirSync(join(RESOURCES, dir))
    .filter((f) => /\.ya?ml$/u.test(f))
    .map((f) => ({ file: f, text: readFileSync(join(RESOURCES, dir, f), 'utf8') }));

const profiles = new Map<string, DeviceProfile>();
for (const { file, text } of yamlFiles('profiles')) {
  const profile = parseDeviceProfile(text, { source: file });
  profiles.set(profile.name, profile);
}
const devices: Device[] = yamlFiles('devices/device-virtual').flatMap(({ file, text }) => parseDeviceList(text, { source: file }));

/** The resources a source (command or resource) reads, with the command's mappings. */
function sourceOf(profile: DeviceProfile, name: string) {
  const command = findCommand(profile, name);
  if (command) {
    return command.resourceOperations.map((op) => ({ resource: findResource(profile, op.deviceResource)!, mappings: op.mappings }));
  }
  return [{ resource: findResource(profile, name)!, mappings: undefined }];
}

describe('sample resources', () => {
  it('holds the Demo-Sensor and the virtual samples of every kind', () => {
    // Energy-Meter-Modbus is device-modbus's sample (tested with it in test/modbus).
    expect([...profiles.keys()].sort()).toEqual(['Demo-Sensor', 'Energy-Meter-Modbus', 'Oven-OPCUA', 'Virtual-Arrays', 'Virtual-Floats', 'Virtual-Integers', 'Virtual-Switches']);
    expect(devices.map((d) => d.name).sort()).toEqual([
      'Demo-Sensor-01',
      'Virtual-Arrays-01',
      'Virtual-Floats-01',
      'Virtual-Integers-01',
      'Virtual-Switches-01',
    ]);
    const types = new Set([...profiles.values()].flatMap((p) => p.deviceResources.map((r) => r.properties.valueType)));
    for (const t of ['Bool', 'String', 'Int8', 'Int64', 'Uint64', 'Float32', 'Float64', 'Binary', 'Object', 'Float32Array', 'Uint16Array']) {
      expect(types).toContain(t);
    }
  });

  it.each(devices.map((d) => [d.name, d] as const))('%s fits its profile, polls every 1-5 s and has something to write', (_name, device) => {
    const profile = profiles.get(device.profileName!);
    expect(profile).toBeDefined();
    expect(checkDeviceAgainstProfile(device, profile!)).toEqual([]);
    expect(device.autoEvents?.length).toBeGreaterThan(0);
    for (const event of device.autoEvents ?? []) {
      expect(parseDuration(event.interval)).toBeGreaterThanOrEqual(1000);
      expect(parseDuration(event.interval)).toBeLessThanOrEqual(5000);
      expect(sourceOf(profile!, event.sourceName).every(({ resource }) => canRead(resource.properties.readWrite))).toBe(true);
    }
    expect(commandsOf(profile!).some((c) => c.set)).toBe(true);
  });

  it.each(devices.map((d) => [d.name, d] as const))('%s passes the virtual driver and every autoEvent yields readings', async (_name, device) => {
    const profile = profiles.get(device.profileName!)!;
    const driver = new VirtualDriver({ random: seededRandom(3) });
    await driver.validateDevice(device, profile);
    await driver.addDevice(device, profile);
    for (const event of device.autoEvents ?? []) {
      const operations = sourceOf(profile, event.sourceName);
      const requests: CommandRequest[] = operations.map(({ resource }) => ({
        resource,
        attributes: resource.attributes ?? {},
        valueType: resource.properties.valueType,
      }));
      for (let round = 0; round < 25; round++) {
        const results = await driver.read(device, profile, requests);
        results.forEach(({ value }, i) => {
          const { resource, mappings } = operations[i];
          const reading = toReading(value, resource, { deviceName: device.name, profileName: profile.name, origin: 1 });
          const { minimum, maximum } = resource.properties;
          if ('value' in reading && (minimum !== undefined || maximum !== undefined) && !resource.properties.valueType.endsWith('Array')) {
            const n = Number(reading.value);
            expect(n).toBeGreaterThanOrEqual((minimum ?? -Infinity) - 1e-4);
            expect(n).toBeLessThanOrEqual((maximum ?? Infinity) + 1e-4);
          }
          if (mappings && 'value' in reading) expect(Object.values(mappings)).toContain(mapForRead(reading.value, mappings));
        });
      }
    }
  });

  it('lets an operator write each writable sample resource and read the value back', async () => {
    // what an operator PUTs, and the reading text (or object) that comes back
    const samples: Record<string, [string, unknown]> = {
      Int16: ['2500', '2500'],
      Float32: ['18.5', '1.85e+01'],
      Bool: ['true', 'true'],
      String: ['manual', 'manual'],
      Uint16Array: ['[1, 2, 3, 4]', '[1, 2, 3, 4]'],
      Object: ['{"mode":"boost","limit":20}', { mode: 'boost', limit: 20 }],
    };
    for (const device of devices) {
      const profile = profiles.get(device.profileName!)!;
      const driver = new VirtualDriver();
      await driver.addDevice(device, profile);
      for (const resource of profile.deviceResources.filter((r) => canWrite(r.properties.readWrite))) {
        const [input, expected] = samples[resource.properties.valueType];
        const request = { resource, attributes: resource.attributes ?? {}, valueType: resource.properties.valueType };
        const shown = (raw: RawValue) => {
          const reading = toReading(raw, resource, { deviceName: device.name, profileName: profile.name, origin: 1 });
          return 'objectValue' in reading ? reading.objectValue : (reading as { value: string }).value;
        };

        const [initial] = await driver.read(device, profile, [request]);
        expect(shown(initial.value)).toEqual(shown(toWriteValue(resource.properties.defaultValue, resource, device.name)));

        await driver.write(device, profile, [{ ...request, value: toWriteValue(input, resource, device.name) } as WriteRequest]);
        const [after] = await driver.read(device, profile, [request]);
        expect(shown(after.value)).toEqual(expected);
      }
    }
  });
});
