import {
  Device,
  DeviceProfile,
  DeviceResource,
  ErrorKind,
  GatewayError,
  parseDeviceProfile,
  validateDevice,
  VALUE_TYPES,
  ValueType,
} from '@gw/contracts';
import type { CommandRequest, DriverContext, RawValue, WriteRequest } from '@gw/device-sdk/driver';
import { toReading, toWriteValue } from '@gw/device-sdk/values';
import { seededRandom, VirtualDriver } from './index';

function profileOf(resources: object[]): DeviceProfile {
  return parseDeviceProfile(JSON.stringify({ name: 'Sim', deviceResources: resources }));
}

const deviceNamed = (name: string): Device => validateDevice({ name, profileName: 'Sim', serviceName: 'device-virtual' });

const requestFor = (resource: DeviceResource): CommandRequest => ({
  resource,
  attributes: resource.attributes ?? {},
  valueType: resource.properties.valueType,
});

/** A driver with one device of a one-resource profile; reads return raw values and readings. */
async function simulate(resource: object, options: { seed?: number; device?: string } = {}) {
  const driver = new VirtualDriver({ random: seededRandom(options.seed ?? 1) });
  const profile = profileOf([{ name: 'R', ...resource }]);
  const device = deviceNamed(options.device ?? 'Sim-1');
  await driver.addDevice(device, profile);
  const request = requestFor(profile.deviceResources[0]);
  const read = async (): Promise<RawValue> => (await driver.read(device, profile, [request]))[0].value;
  const readText = async (): Promise<string> => {
    const reading = toReading(await read(), request.resource, { deviceName: device.name, profileName: profile.name, origin: 1 });
    return 'value' in reading ? reading.value : JSON.stringify(reading);
  };
  const write = (input: unknown) =>
    driver.write(device, profile, [{ ...request, value: toWriteValue(input, request.resource, device.name) } as WriteRequest]);
  return { driver, profile, device, request, read, readText, write };
}

async function readMany(resource: object, n: number, seed = 1): Promise<RawValue[]> {
  const sim = await simulate(resource, { seed });
  const values: RawValue[] = [];
  for (let i = 0; i < n; i++) values.push(await sim.read());
  return values;
}

function validationMessage(run: () => Promise<unknown>): Promise<string> {
  return run().then(
    () => {
      throw new Error('expected a validation error');
    },
    (err: unknown) => {
      expect(GatewayError.is(err, ErrorKind.ContractInvalid)).toBe(true);
      return (err as Error).message;
    },
  );
}

describe('VirtualDriver: random values', () => {
  it.each<[ValueType, number, number]>([
    ['Int8', -5, 5],
    ['Uint8', 250, 255],
    ['Int16', -300, -200],
    ['Uint16', 0, 3],
    ['Int32', -2147483648, -2147483640],
    ['Uint32', 4294967290, 4294967295],
    ['Float32', -20, 60],
    ['Float64', 0.5, 0.75],
  ])('%s stays within minimum %d and maximum %d, and reaches both ends of a small range', async (valueType, minimum, maximum) => {
    const values = (await readMany({ properties: { valueType, readWrite: 'R', minimum, maximum } }, 400)) as number[];
    for (const v of values) {
      expect(typeof v).toBe('number');
      expect(v).toBeGreaterThanOrEqual(minimum);
      expect(v).toBeLessThanOrEqual(maximum);
    }
    if (maximum - minimum <= 10 && !valueType.startsWith('Float')) {
      expect(values).toContain(minimum);
      expect(values).toContain(maximum);
    }
    if (!valueType.startsWith('Float')) expect(values.every(Number.isInteger)).toBe(true);
  });

  it('gives Int64/Uint64 as bigint over the whole type, or within the limits', async () => {
    const full = (await readMany({ properties: { valueType: 'Uint64', readWrite: 'R' } }, 200)) as bigint[];
    expect(full.every((v) => typeof v === 'bigint' && v >= 0n && v <= 18446744073709551615n)).toBe(true);
    expect(full.some((v) => v > 2n ** 63n)).toBe(true); // really 64 bits, not 53
    const signed = (await readMany({ properties: { valueType: 'Int64', readWrite: 'R' } }, 200)) as bigint[];
    expect(signed.some((v) => v < 0n) && signed.some((v) => v > 0n)).toBe(true);
    const limited = (await readMany({ properties: { valueType: 'Int64', readWrite: 'R', minimum: -2, maximum: 2 } }, 100)) as bigint[];
    expect(new Set(limited)).toEqual(new Set([-2n, -1n, 0n, 1n, 2n]));
  });

  it('covers the type range when the resource has no limits', async () => {
    const values = (await readMany({ properties: { valueType: 'Int8', readWrite: 'R' } }, 500)) as number[];
    expect(Math.min(...values)).toBeLessThan(-100);
    expect(Math.max(...values)).toBeGreaterThan(100);
  });

  it('reads every value type into a reading the SDK accepts', async () => {
    for (const valueType of VALUE_TYPES) {
      const sim = await simulate({ properties: { valueType, readWrite: 'R' } });
      for (let i = 0; i < 20; i++) await expect(sim.readText()).resolves.toEqual(expect.any(String));
    }
  });

  it('sizes strings, bytes and arrays by `length`, with defaults', async () => {
    expect(((await readMany({ properties: { valueType: 'String', readWrite: 'R' } }, 1))[0] as string).length).toBe(8);
    expect(((await readMany({ properties: { valueType: 'Binary', readWrite: 'R' } }, 1))[0] as Uint8Array).length).toBe(16);
    expect(((await readMany({ properties: { valueType: 'Int16Array', readWrite: 'R' } }, 1))[0] as unknown[]).length).toBe(4);
    const [bytes] = await readMany({ properties: { valueType: 'Binary', readWrite: 'R' }, attributes: { length: 1024 } }, 1);
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect((bytes as Uint8Array).length).toBe(1024);
    const [items] = await readMany({ properties: { valueType: 'Float32Array', readWrite: 'R', minimum: 1, maximum: 2 }, attributes: { length: 3 } }, 1);
    expect(items).toHaveLength(3);
    expect((items as number[]).every((v) => v >= 1 && v <= 2)).toBe(true);
    const [objects] = await readMany({ properties: { valueType: 'ObjectArray', readWrite: 'R' }, attributes: { length: 2 } }, 1);
    expect(objects).toEqual([{ value: expect.any(Number) }, { value: expect.any(Number) }]);
  });

  it('keeps readings within minimum..maximum when the resource also transforms', async () => {
    const sim = await simulate({ properties: { valueType: 'Float32', readWrite: 'R', scale: 0.1, offset: -40, minimum: -40, maximum: 60 } });
    for (let i = 0; i < 200; i++) {
      const v = Number(await sim.readText());
      expect(v).toBeGreaterThanOrEqual(-40.0001);
      expect(v).toBeLessThanOrEqual(60.0001);
    }
    const ints = await simulate({ properties: { valueType: 'Int16', readWrite: 'R', scale: 2, minimum: 0, maximum: 10 } });
    for (let i = 0; i < 50; i++) expect(['0', '2', '4', '6', '8', '10']).toContain(await ints.readText());
  });

  it('is repeatable with the same seed and differs with another', async () => {
    const resource = { properties: { valueType: 'Float64', readWrite: 'R' } };
    expect(await readMany(resource, 10, 42)).toEqual(await readMany(resource, 10, 42));
    expect(await readMany(resource, 10, 42)).not.toEqual(await readMany(resource, 10, 43));
  });
});

describe('VirtualDriver: sequences and constants', () => {
  it('counts from start by step and starts again past maximum', async () => {
    const values = await readMany({ properties: { valueType: 'Int16', readWrite: 'R', maximum: 25 }, attributes: { simulation: 'sequence', start: 10, step: 5 } }, 6);
    expect(values).toEqual([10, 15, 20, 25, 10, 15]);
  });

  it('starts at minimum counting up, at maximum counting down', async () => {
    const up = await readMany({ properties: { valueType: 'Uint8', readWrite: 'R', minimum: 3, maximum: 5 }, attributes: { simulation: 'sequence' } }, 4);
    expect(up).toEqual([3, 4, 5, 3]);
    const down = await readMany({ properties: { valueType: 'Int8', readWrite: 'R', minimum: -1 }, attributes: { simulation: 'sequence', start: '1', step: -1 } }, 4);
    expect(down).toEqual([1, 0, -1, 1]);
    const fromMaximum = await readMany({ properties: { valueType: 'Int64', readWrite: 'R', maximum: 2 }, attributes: { simulation: 'sequence', step: -2 } }, 3);
    expect(fromMaximum.slice(0, 2)).toEqual([2n, 0n]);
  });

  it('steps floats without accumulating error', async () => {
    const values = await readMany({ properties: { valueType: 'Float64', readWrite: 'R', maximum: 0.5 }, attributes: { simulation: 'sequence', step: 0.1 } }, 7);
    expect(values).toEqual([0, 0.1, 0.2, 0.1 * 3, 0.4, 0.5, 0]);
  });

  it('counts Uint64 in bigint to the last value of the type', async () => {
    const values = await readMany({ properties: { valueType: 'Uint64', readWrite: 'R' }, attributes: { simulation: 'sequence', start: '18446744073709551614' } }, 3);
    expect(values).toEqual([18446744073709551614n, 18446744073709551615n, 18446744073709551614n]);
  });

  it('cycles through values of any type, and toggles a Bool', async () => {
    expect(await readMany({ properties: { valueType: 'String', readWrite: 'R' }, attributes: { simulation: 'sequence', values: ['idle', 'run', 'stop'] } }, 4)).toEqual([
      'idle',
      'run',
      'stop',
      'idle',
    ]);
    expect(await readMany({ properties: { valueType: 'Int16Array', readWrite: 'R' }, attributes: { simulation: 'sequence', values: ['[1, 2]', [3]] } }, 3)).toEqual([
      [1, 2],
      [3],
      [1, 2],
    ]);
    expect(await readMany({ properties: { valueType: 'Bool', readWrite: 'R' }, attributes: { simulation: 'sequence' } }, 3)).toEqual([false, true, false]);
  });

  it('keeps one sequence position per device', async () => {
    const sim = await simulate({ properties: { valueType: 'Uint8', readWrite: 'R' }, attributes: { simulation: 'sequence' } });
    const other = deviceNamed('Sim-2');
    await sim.driver.addDevice(other, sim.profile);
    expect([await sim.read(), await sim.read()]).toEqual([0, 1]);
    expect((await sim.driver.read(other, sim.profile, [sim.request]))[0].value).toBe(0);
  });

  it('returns a constant value, or the defaultValue as the device would hold it', async () => {
    expect(await readMany({ properties: { valueType: 'Float32', readWrite: 'R' }, attributes: { simulation: 'constant', value: 21.5 } }, 2)).toEqual([21.5, 21.5]);
    const scaled = await simulate({ properties: { valueType: 'Int16', readWrite: 'R', scale: 0.5, defaultValue: '25' }, attributes: { simulation: 'constant' } });
    expect(await scaled.read()).toBe(50);
    expect(await scaled.readText()).toBe('25');
  });
});

describe('VirtualDriver: writes', () => {
  it('returns what was written until it is written again', async () => {
    const sim = await simulate({ properties: { valueType: 'Float32', readWrite: 'RW', minimum: 0, maximum: 100 } });
    await sim.write('42.5');
    expect(await sim.readText()).toBe('4.25e+01');
    expect(await sim.readText()).toBe('4.25e+01');
    await sim.write(7);
    expect(await sim.read()).toBe(7);
  });

  it('starts a writable resource at its defaultValue; a read-only one keeps simulating', async () => {
    const sim = await simulate({ properties: { valueType: 'Bool', readWrite: 'RW', defaultValue: 'true' } });
    expect([await sim.read(), await sim.read()]).toEqual([true, true]);
    const readOnly = await simulate({ properties: { valueType: 'Uint8', readWrite: 'R', defaultValue: '7' }, attributes: { simulation: 'sequence' } });
    expect([await readOnly.read(), await readOnly.read()]).toEqual([0, 1]);
  });

  it('stores the raw value the SDK hands over, so transforms apply on the way back', async () => {
    const sim = await simulate({ properties: { valueType: 'Int32', readWrite: 'RW', scale: 10, offset: 5, defaultValue: '105' } });
    expect(await sim.read()).toBe(10);
    await sim.write('-95');
    expect(await sim.read()).toBe(-10);
    expect(await sim.readText()).toBe('-95');
  });

  it('keeps written values per device, through a profile update, and forgets them with the device', async () => {
    const sim = await simulate({ properties: { valueType: 'String', readWrite: 'RW' } });
    await sim.write('hello');
    const other = deviceNamed('Sim-2');
    await sim.driver.addDevice(other, sim.profile);
    expect((await sim.driver.read(other, sim.profile, [sim.request]))[0].value).not.toBe('hello');

    const updated = profileOf([{ name: 'R', properties: { valueType: 'String', readWrite: 'RW' } }, { name: 'Mode', properties: { valueType: 'String', readWrite: 'RW', defaultValue: 'auto' } }]);
    await sim.driver.updateDevice(sim.device, updated);
    const [r, mode] = await sim.driver.read(sim.device, updated, updated.deviceResources.map(requestFor));
    expect([r.value, mode.value]).toEqual(['hello', 'auto']);

    await sim.driver.removeDevice(sim.device);
    await expect(sim.driver.read(sim.device, updated, [requestFor(updated.deviceResources[0])])).rejects.toMatchObject({ kind: ErrorKind.EntityNotFound });
    await sim.driver.addDevice(sim.device, updated);
    expect((await sim.driver.read(sim.device, updated, [requestFor(updated.deviceResources[0])]))[0].value).not.toBe('hello');
  });
});

describe('VirtualDriver: attribute validation', () => {
  it('lists every problem, naming device, resource and attribute', async () => {
    const driver = new VirtualDriver();
    const profile = profileOf([
      { name: 'A', properties: { valueType: 'Int16', readWrite: 'R' }, attributes: { simulation: 'wave' } },
      { name: 'B', properties: { valueType: 'Int16', readWrite: 'R' }, attributes: { simulation: 'sequence', step: 0 } },
      { name: 'C', properties: { valueType: 'Int16', readWrite: 'R' }, attributes: { simulation: 'sequence', step: 0.5 } },
      { name: 'D', properties: { valueType: 'Int16', readWrite: 'R', maximum: 5 }, attributes: { simulation: 'sequence', start: 9 } },
      { name: 'E', properties: { valueType: 'Int8', readWrite: 'R' }, attributes: { simulation: 'sequence', values: [1, 'x'] } },
      { name: 'F', properties: { valueType: 'Int8', readWrite: 'R' }, attributes: { simulation: 'sequence', values: [] } },
      { name: 'G', properties: { valueType: 'String', readWrite: 'R' }, attributes: { simulation: 'sequence' } },
      { name: 'H', properties: { valueType: 'Binary', readWrite: 'R' }, attributes: { length: -1 } },
      { name: 'I', properties: { valueType: 'Int8', readWrite: 'R' }, attributes: { length: 3, stpe: 1 } },
      { name: 'J', properties: { valueType: 'Float32', readWrite: 'R' }, attributes: { simulation: 'constant' } },
      { name: 'K', properties: { valueType: 'Uint8', readWrite: 'R', minimum: 0.2, maximum: 0.7 } },
      { name: 'L', properties: { valueType: 'Uint8', readWrite: 'RW', maximum: 10, defaultValue: '20' } },
      { name: 'M', properties: { valueType: 'Bool', readWrite: 'R' }, attributes: { simulation: 'constant', value: 'maybe' } },
      { name: 'N', properties: { valueType: 'Uint8', readWrite: 'R', offset: 10, defaultValue: '5' }, attributes: { simulation: 'constant' } },
    ]);
    const message = await validationMessage(() => driver.validateDevice(deviceNamed('Plant-9'), profile));
    expect(message.startsWith('device "Plant-9": deviceResources[A].attributes.simulation')).toBe(true);
    expect(message.split('; ').map((m) => m.replace('device "Plant-9": ', ''))).toEqual([
      'deviceResources[A].attributes.simulation: "wave" is not one of random, sequence, constant',
      'deviceResources[B].attributes.step: 0 is not a non-zero number',
      'deviceResources[C].attributes.step: 0.5 is not a whole number, as a Int16 step must be',
      'deviceResources[D].attributes.start: 9 is outside the range -32768..5 given by minimum/maximum and Int16',
      'deviceResources[E].attributes.values[1]: "x" is not a valid Int8',
      'deviceResources[F].attributes.values: must be a list of 1 to 10000 values',
      'deviceResources[G].attributes.values: a sequence of a String needs the values to cycle through',
      'deviceResources[H].attributes.length: must be a whole number from 0 to 65536',
      'deviceResources[I].attributes.stpe: is not an attribute of the virtual driver (simulation, length, values, start, step, value)',
      'deviceResources[I].attributes.length: applies only to simulation: random of a String, Binary or array',
      'deviceResources[J].attributes.value: simulation: constant needs a value attribute (or a defaultValue)',
      'deviceResources[K].properties.minimum: no Uint8 lies between minimum 0.2 and maximum 0.7',
      'deviceResources[L].properties.defaultValue: 20 is greater than maximum 10',
      'deviceResources[M].attributes.value: "maybe" is not a valid Bool (true or false)',
      'deviceResources[N].attributes.value: the defaultValue cannot be simulated: overflow: reversing offset 10 turns 5 into -5, outside Uint8 (0..255)',
    ]);
    await expect(driver.addDevice(deviceNamed('Plant-9'), profile)).rejects.toThrow('device "Plant-9": deviceResources[A]');
  });

  it('accepts a device without a profile to check, and a profile without attributes', async () => {
    const driver = new VirtualDriver();
    await expect(driver.validateDevice(deviceNamed('X'))).resolves.toBeUndefined();
    await expect(driver.validateDevice(deviceNamed('X'), profileOf([{ name: 'T', properties: { valueType: 'Float32', readWrite: 'R' } }]))).resolves.toBeUndefined();
  });

  it('refuses to read a resource whose attributes were never validated, naming the device', async () => {
    const driver = new VirtualDriver();
    const profile = profileOf([{ name: 'T', properties: { valueType: 'Int8', readWrite: 'R' }, attributes: { simulation: 'chaos' } }]);
    await expect(driver.read(deviceNamed('Lazy'), profile, [requestFor(profile.deviceResources[0])])).rejects.toThrow(
      'device "Lazy": deviceResources[T].attributes.simulation: "chaos" is not one of random, sequence, constant',
    );
  });

  it('runs the ProtocolDriver lifecycle without I/O', async () => {
    const driver = new VirtualDriver();
    const logger = { debug: jest.fn(), info: jest.fn(), warn: jest.fn(), error: jest.fn() };
    const context: DriverContext = { serviceName: 'device-virtual', logger, pushValues: jest.fn() };
    await driver.initialize(context);
    await driver.start();
    await driver.addDevice(deviceNamed('Sim-1'), profileOf([]));
    expect(logger.debug).toHaveBeenCalledWith({ device: 'Sim-1', profile: 'Sim' }, 'virtual device added');
    await driver.stop(false);
  });
});
