/**
 * The behaviour every ProtocolDriver (libs/device-sdk/src/driver/protocol-driver.ts) must show,
 * run against each driver the way test/messaging/bus-contract.ts runs against
 * each bus. A driver's test file supplies a harness: how to make a fresh
 * driver (and start the peer it talks to), a device and profile to use, the
 * values its resources hold or accept, devices it must refuse, and the
 * optional capabilities it has (push, discovery).
 *
 * What the SDK relies on, and so what is checked:
 * - lifecycle: initialize → start → addDevice/updateDevice/removeDevice →
 *   stop; removing twice and stopping twice are harmless; stop(force) with a
 *   read in flight settles the read; stop leaves no connection open;
 * - a read in flight is one waiting on I/O, or held by holdReads: the suite
 *   asserts it still is when it stops the driver or removes the device. A
 *   driver whose reads finish within the call (readsFinishAtOnce) cannot have
 *   one: those cases then check only what follows, and their titles say so;
 * - read answers in request order, whatever the order asked;
 * - what is written reads back;
 * - every refusal is a GatewayError with a kind; a bad attribute names the
 *   device, the resource and the attribute, on read and on write;
 *   validateDevice, addDevice and updateDevice agree on what they refuse and
 *   name the field at fault;
 * - values a device reports on its own reach DriverContext.pushValues;
 * - a device removed while a read is in flight fails cleanly, is not served
 *   afterwards (EntityDoesNotExist, naming it) and can be added again.
 */
import { randomUUID } from 'node:crypto';
import { Device, DeviceProfile, DeviceResource, ErrorKind, GatewayError } from '@gw/contracts';
import type { AsyncValues, CommandRequest, DriverContext, ProtocolDriver, RawValue, WriteRequest } from '@gw/device-sdk/driver';

/** A device the driver must refuse, and the field (protocol property or attribute) its error must name. */
export interface InvalidDevice {
  /** Says what is wrong, for the test title: `Port 0`, `an unknown primaryTable`. */
  what: string;
  device(name: string): Device;
  /** The profile to validate against (default: the harness profile). */
  profile?(): DeviceProfile;
  /** The field the error must name, e.g. `Port` or `primaryTable`. */
  field: string;
}

export interface ConformanceHarness<D extends ProtocolDriver = ProtocolDriver> {
  /** Starts what the driver talks to (a protocol peer); run once, before the first test. */
  setUp?(): Promise<void>;
  /** Stops it; run once, after the last test. */
  tearDown?(): Promise<void>;
  /** A new driver, not yet initialized. The suite initializes, starts and stops it. */
  newDriver(): D;
  /** The profile of `device()`. */
  profile(): DeviceProfile;
  /** A valid device the driver can reach, with this name. */
  device(name: string): Device;
  /** `device` changed in a way the driver sees (still valid), for updateDevice. Default: a new label. */
  updated?(device: Device): Device;
  /** Resources of the profile the suite reads, with the value the device holds there (what a read must return). */
  readable: Record<string, RawValue>;
  /**
   * Resources the suite writes, each with two different values as the driver
   * receives them (after the SDK's transforms). Values should differ across
   * resources too, so a read that swaps two results shows.
   */
  writable: Record<string, [RawValue, RawValue]>;
  /** Devices the driver must refuse; at least one. */
  invalid: InvalidDevice[];
  /**
   * A resource whose attributes the driver must refuse on read and on write,
   * the attribute at fault, and a value of its valueType to write (the suite
   * makes the resource writable for that).
   */
  badAttribute: { resource: DeviceResource; attribute: string; value: RawValue };
  /** Push path, for drivers whose devices report values on their own. */
  push?: {
    /** Makes `device` (added to `driver`) report `values` on its own. */
    trigger(driver: D, device: Device): Promise<void> | void;
    /** What the SDK must then receive for the device. */
    values: Array<{ resourceName: string; value: RawValue }>;
  };
  /** Discovery, for drivers with discover(): the names it must find (in any order) on a fresh driver. */
  discovery?: { names(): string[] };
  /**
   * Makes the driver's reads wait until released, so a test can act while a
   * read is surely in flight. Drivers that talk to a real peer need none.
   */
  holdReads?(driver: D): () => void;
  /**
   * The driver's reads finish within the call (nothing to wait on, like the
   * virtual driver's simulations) and it has no holdReads: no read can be in
   * flight when the suite stops the driver or removes the device, so those
   * cases check only what follows, and their titles say so. The suite checks
   * this claim too: a read it finds still pending fails the test.
   */
  readsFinishAtOnce?: boolean;
}

/** What the suite hands a driver as its SDK: it records pushes and lets a test await them. */
class RecordingContext implements DriverContext {
  readonly serviceName = `device-conformance-${randomUUID().slice(0, 8)}`;
  readonly pushed: AsyncValues[] = [];
  private waiters: Array<() => void> = [];
  readonly logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

  pushValues(values: AsyncValues): void {
    this.pushed.push(values);
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Resolves with the first push that satisfies `predicate`; rejects after `timeoutMs` saying what came. */
  async pushOf(predicate: (v: AsyncValues) => boolean, timeoutMs = 10_000): Promise<AsyncValues> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.pushed.find(predicate);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching push within ${timeoutMs} ms; pushed: ${show(this.pushed)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

const show = (v: unknown): string => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x instanceof Uint8Array ? [...x] : x));

/** `promise`'s outcome, or a rejection saying it never settled (a hang) within `ms`. */
async function settled<T>(promise: Promise<T>, what: string, ms = 15_000): Promise<PromiseSettledResult<T>> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([Promise.allSettled([promise]).then(([r]) => r), hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** The error `run` rejects with; fails the test if it resolves. */
async function rejection(run: () => Promise<unknown>, what: string): Promise<GatewayError> {
  const outcome = await settled(run(), what);
  if (outcome.status === 'fulfilled') throw new Error(`${what} was accepted; expected a GatewayError`);
  const err = outcome.reason as unknown;
  if (!(err instanceof GatewayError)) throw new Error(`${what} rejected with ${String(err)}, not a GatewayError`);
  expect(Object.values(ErrorKind)).toContain(err.kind);
  return err;
}

/**
 * A read cut short by the driver's own stop or removeDevice fails with a
 * GatewayError, and not a Timeout: the device did nothing wrong, and a
 * Timeout would blame it (and have it backed off or marked down).
 */
function expectNotBlamed(reason: unknown): void {
  expect(reason).toBeInstanceOf(GatewayError);
  expect((reason as GatewayError).kind).not.toBe(ErrorKind.Timeout);
}

/**
 * Whether `promise` is still pending once the microtasks queued so far have
 * run (no I/O or timer can settle it meanwhile): a read that is, is in flight.
 */
async function pending(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 20; i++) await Promise.resolve();
  return !done;
}

/** One macrotask, so an unhandled rejection surfaces (Jest fails the running test on one). */
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Sockets, servers and serial handles the process holds: a driver's stop must give back what it opened. */
const IO_HANDLES = new Set(['TCPSocketWrap', 'TCPWrap', 'TTYWrap', 'UDPWrap', 'PipeWrap', 'FSEventWrap']);
const openIo = (): number => process.getActiveResourcesInfo().filter((r) => IO_HANDLES.has(r)).length;

/** Waits (a few event-loop turns at a time) until the process holds no more I/O handles than `before`. */
async function ioBackTo(before: number, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (openIo() > before) {
    if (Date.now() > deadline) {
      throw new Error(`${what}: ${openIo() - before} connection(s) still open (${process.getActiveResourcesInfo().join(', ')})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function requestsFor(profile: DeviceProfile, names: string[]): CommandRequest[] {
  return names.map((name) => {
    const resource = profile.deviceResources.find((r) => r.name === name);
    if (!resource) throw new Error(`harness: resource ${name} is not in profile ${profile.name}`);
    return { resource, attributes: resource.attributes ?? {}, valueType: resource.properties.valueType };
  });
}

export function writesFor(profile: DeviceProfile, values: Record<string, RawValue>): WriteRequest[] {
  return requestsFor(profile, Object.keys(values)).map((r) => ({ ...r, value: values[r.resource.name] }));
}

export function driverConformance<D extends ProtocolDriver>(title: string, harness: ConformanceHarness<D>): void {
  describe(`${title}: ProtocolDriver conformance`, () => {
    jest.setTimeout(60_000);

    let sequence = 0;
    const runId = randomUUID().slice(0, 6);
    const uniqueName = (what: string): string => `${what}-${runId}-${++sequence}`;

    const running: D[] = [];

    /** A fresh driver, initialized with a recording context and started. */
    const startedDriver = async (): Promise<{ driver: D; context: RecordingContext }> => {
      const driver = harness.newDriver();
      running.push(driver);
      const context = new RecordingContext();
      await driver.initialize(context);
      await driver.start();
      return { driver, context };
    };

    /** A started driver with one added device. */
    const withDevice = async (what: string) => {
      const { driver, context } = await startedDriver();
      const profile = harness.profile();
      const device = harness.device(uniqueName(what));
      await driver.addDevice(device, profile);
      return { driver, context, profile, device };
    };

    const readNames = Object.keys(harness.readable);
    const writeNames = Object.keys(harness.writable);
    const allNames = [...new Set([...readNames, ...writeNames])];

    /** Asserts `reading` is in flight (or, for a driver whose reads finish at once, that it is not, as its harness claims). */
    const expectInFlight = async (reading: Promise<unknown>, when: string): Promise<void> => {
      const inFlight = await pending(reading);
      const because = harness.readsFinishAtOnce
        ? 'the harness says readsFinishAtOnce, yet the read was still pending'
        : 'the read had already finished: give the harness holdReads, or say readsFinishAtOnce';
      expect({ when, inFlight, because }).toEqual({ when, inFlight: !harness.readsFinishAtOnce, because });
    };
    /** How the in-flight cases' titles say that no read can be in flight on this driver. */
    const noneInFlight = harness.readsFinishAtOnce ? ' [its reads finish at once: none is in flight, only what follows is checked]' : '';

    /** I/O handles before any driver: once its drivers are stopped, every test is back to this. */
    let baseline = 0;

    beforeAll(async () => {
      await harness.setUp?.();
      await tick();
      baseline = openIo();
    });

    afterEach(async () => {
      for (const driver of running.splice(0)) await driver.stop(true).catch(() => undefined);
      try {
        await ioBackTo(baseline, 'after its drivers were stopped');
      } finally {
        baseline = Math.max(baseline, openIo()); // one leak fails one test, not every test after it
      }
    });

    afterAll(async () => {
      await harness.tearDown?.();
    });

    it('harness: names resources of its profile, with distinct values, and at least one invalid device', () => {
      const profile = harness.profile();
      requestsFor(profile, allNames);
      expect(allNames.length).toBeGreaterThanOrEqual(2);
      expect(harness.invalid.length).toBeGreaterThanOrEqual(1);
      for (const [name, [a, b]] of Object.entries(harness.writable)) expect({ name, same: show(a) === show(b) }).toEqual({ name, same: false });
      const shown = allNames.map((n) => show(n in harness.readable && !(n in harness.writable) ? harness.readable[n] : harness.writable[n][0]));
      expect(new Set(shown).size).toBe(shown.length);
    });

    describe('lifecycle', () => {
      it('runs initialize → start → add → update → remove → stop; removing twice and stopping twice are harmless', async () => {
        const driver = harness.newDriver();
        running.push(driver);
        await driver.initialize(new RecordingContext());
        await driver.start();
        const profile = harness.profile();
        const device = harness.device(uniqueName('life'));

        await driver.validateDevice(device, profile);
        await driver.addDevice(device, profile);
        expect(await driver.read(device, profile, requestsFor(profile, allNames))).toHaveLength(allNames.length);

        const updated = harness.updated?.(device) ?? { ...device, labels: [...(device.labels ?? []), 'updated'] };
        await driver.updateDevice(updated, profile);
        const afterUpdate = await driver.read(updated, profile, requestsFor(profile, readNames.length > 0 ? readNames : allNames));
        readNames.forEach((name, i) => expect({ name, value: afterUpdate[i].value }).toEqual({ name, value: harness.readable[name] }));

        await driver.removeDevice(updated);
        await driver.removeDevice(updated);
        await driver.stop(false);
        await driver.stop(false);
        await ioBackTo(baseline, 'after stop');
      });

      it(`stop(force) with a read in flight settles the read, can be repeated and leaves nothing open${noneInFlight}`, async () => {
        const { driver, profile, device } = await withDevice('force');
        await driver.read(device, profile, requestsFor(profile, allNames)); // connected, if the driver connects
        const release = harness.holdReads?.(driver);
        const reading = driver.read(device, profile, requestsFor(profile, allNames));
        await expectInFlight(reading, 'at stop(force)');
        await driver.stop(true);
        release?.();
        const outcome = await settled(reading, 'a read in flight at stop(force)');
        if (outcome.status === 'rejected') expectNotBlamed(outcome.reason);
        await driver.stop(true);
        await tick();
        await ioBackTo(baseline, 'after stop(force)');
      });
    });

    describe('read', () => {
      it('answers in request order, whatever the order asked', async () => {
        const { driver, profile, device } = await withDevice('order');
        const first = Object.fromEntries(writeNames.map((n) => [n, harness.writable[n][0]]));
        if (writeNames.length > 0) await driver.write(device, profile, writesFor(profile, first));
        const expected: Record<string, RawValue> = { ...harness.readable, ...first };

        const orders = [allNames, [...allNames].reverse(), [...allNames.filter((_, i) => i % 2 === 1), ...allNames.filter((_, i) => i % 2 === 0)]];
        for (const names of orders) {
          const results = await driver.read(device, profile, requestsFor(profile, names));
          expect(results.map((r, i) => [names[i], r.value])).toEqual(names.map((n) => [n, expected[n]]));
        }
        // One at a time answers the same: coalescing changes nothing.
        for (const name of allNames) expect([name, (await driver.read(device, profile, requestsFor(profile, [name])))[0].value]).toEqual([name, expected[name]]);
      });
    });

    describe('write', () => {
      it('reads back each value written, one resource at a time and all in one write', async () => {
        const { driver, profile, device } = await withDevice('write');
        for (const name of writeNames) {
          for (const value of harness.writable[name]) {
            await driver.write(device, profile, writesFor(profile, { [name]: value }));
            expect([name, (await driver.read(device, profile, requestsFor(profile, [name])))[0].value]).toEqual([name, value]);
          }
        }
        for (const pick of [0, 1] as const) {
          const values = Object.fromEntries(writeNames.map((n) => [n, harness.writable[n][pick]]));
          await driver.write(device, profile, writesFor(profile, values));
          const back = await driver.read(device, profile, requestsFor(profile, writeNames));
          expect(back.map((r, i) => [writeNames[i], r.value])).toEqual(writeNames.map((n) => [n, values[n]]));
        }
      });
    });

    describe('errors', () => {
      it('refuses a bad attribute on read with a ContractInvalid naming device, resource and attribute', async () => {
        const { driver, profile, device } = await withDevice('badattr');
        const { resource, attribute } = harness.badAttribute;
        const withBad = { ...profile, deviceResources: [...profile.deviceResources, resource] };
        const err = await rejection(() => driver.read(device, withBad, requestsFor(withBad, [allNames[0], resource.name])), 'a read of a bad attribute');
        expect(err.kind).toBe(ErrorKind.ContractInvalid);
        expect(err.message).toContain(device.name);
        expect(err.message).toContain(resource.name);
        expect(err.message).toContain(attribute);
      });

      it('refuses a bad attribute on write with a ContractInvalid naming device, resource and attribute', async () => {
        const { driver, profile, device } = await withDevice('badattr-write');
        const { attribute, value } = harness.badAttribute;
        // Writable, so that only the attribute is at fault.
        const resource: DeviceResource = { ...harness.badAttribute.resource, properties: { ...harness.badAttribute.resource.properties, readWrite: 'RW' } };
        const withBad = { ...profile, deviceResources: [...profile.deviceResources, resource] };
        const values: Record<string, RawValue> = writeNames.length > 0 ? { [writeNames[0]]: harness.writable[writeNames[0]][0] } : {};
        values[resource.name] = value;
        const err = await rejection(() => driver.write(device, withBad, writesFor(withBad, values)), 'a write to a bad attribute');
        expect(err.kind).toBe(ErrorKind.ContractInvalid);
        expect(err.message).toContain(device.name);
        expect(err.message).toContain(resource.name);
        expect(err.message).toContain(attribute);
      });

      it('validateDevice and addDevice accept the valid device', async () => {
        const { driver } = await startedDriver();
        const device = harness.device(uniqueName('valid'));
        await expect(driver.validateDevice(device, harness.profile())).resolves.toBeUndefined();
        await expect(driver.addDevice(device, harness.profile())).resolves.toBeUndefined();
      });

      for (const invalid of harness.invalid) {
        it(`validateDevice, addDevice and updateDevice agree in refusing ${invalid.what}, naming ${invalid.field}`, async () => {
          const { driver } = await startedDriver();
          const profile = invalid.profile?.() ?? harness.profile();
          const name = uniqueName('invalid');
          const device = invalid.device(name);

          const validated = await rejection(() => driver.validateDevice(device, profile), `validateDevice of ${invalid.what}`);
          const added = await rejection(() => driver.addDevice(device, profile), `addDevice of ${invalid.what}`);
          for (const err of [validated, added]) {
            expect(err.kind).toBe(ErrorKind.ContractInvalid);
            expect(err.message).toContain(name);
            expect(err.message).toContain(invalid.field);
          }
          expect(added.kind).toBe(validated.kind);

          // Refused devices are not served.
          const readable = profile.deviceResources.filter((r) => r.properties.readWrite !== 'W').map((r) => r.name);
          await rejection(() => driver.read(device, profile, requestsFor(profile, readable.slice(0, 1))), `a read of a refused device (${invalid.what})`);

          // A valid device updated into an invalid one is refused the same way.
          const good = harness.device(name);
          await driver.addDevice(good, harness.profile());
          const updated = await rejection(() => driver.updateDevice(device, profile), `updateDevice to ${invalid.what}`);
          expect(updated.kind).toBe(validated.kind);
          expect(updated.message).toContain(invalid.field);
        });
      }
    });

    (harness.push ? describe : describe.skip)('push', () => {
      it('delivers values the device reports on its own to DriverContext.pushValues', async () => {
        const push = harness.push!;
        const { driver, context, profile, device } = await withDevice('push');
        await push.trigger(driver, device);
        const got = await context.pushOf((v) => v.deviceName === device.name);
        expect(got.sourceName).toEqual(expect.any(String));
        expect(got.sourceName.length).toBeGreaterThan(0);
        const names = new Set(profile.deviceResources.map((r) => r.name));
        for (const v of got.values) expect([v.resourceName, names.has(v.resourceName)]).toEqual([v.resourceName, true]);
        for (const want of push.values) expect(got.values).toContainEqual(expect.objectContaining(want));
      });
    });

    (harness.discovery ? describe : describe.skip)('discovery', () => {
      it('finds the devices there are, each one the driver accepts', async () => {
        const { driver } = await startedDriver();
        expect(driver.discover).toEqual(expect.any(Function));
        const found = await driver.discover!();
        expect(found.map((d) => d.name).sort()).toEqual([...harness.discovery!.names()].sort());
        for (const candidate of found) {
          const device = { ...harness.device(candidate.name), protocols: candidate.protocols } as Device;
          await expect(driver.validateDevice(device, harness.profile())).resolves.toBeUndefined();
        }
      });
    });

    describe('a device removed while a read is in flight', () => {
      for (const warm of [false, true]) {
        it(`fails the read cleanly, is not served afterwards and can be added again (${warm ? 'after a first read' : 'first read'})${noneInFlight}`, async () => {
          const { driver, profile, device } = await withDevice(warm ? 'removed-warm' : 'removed-cold');
          const requests = requestsFor(profile, allNames);
          if (warm) await driver.read(device, profile, requests);
          const release = harness.holdReads?.(driver);
          const reading = driver.read(device, profile, requests);
          await expectInFlight(reading, 'at removeDevice');
          await driver.removeDevice(device);
          release?.();

          const outcome = await settled(reading, 'the read in flight when its device was removed');
          if (outcome.status === 'fulfilled') expect(outcome.value).toHaveLength(requests.length);
          else expectNotBlamed(outcome.reason);
          await tick();

          for (const [what, run] of [
            ['a read', () => driver.read(device, profile, requests)],
            ...(writeNames.length > 0
              ? [['a write', () => driver.write(device, profile, writesFor(profile, { [writeNames[0]]: harness.writable[writeNames[0]][1] }))] as const]
              : []),
          ] as const) {
            const err = await rejection(run, `${what} of a removed device`);
            expect([what, err.kind]).toEqual([what, ErrorKind.EntityNotFound]);
            expect(err.message).toContain(device.name);
          }

          await driver.addDevice(device, profile);
          expect(await driver.read(device, profile, requests)).toHaveLength(requests.length);
          // Nothing the interrupted read opened outlives the driver.
          await driver.stop(false);
          await ioBackTo(baseline, 'after stop');
        });
      }
    });
  });
}
