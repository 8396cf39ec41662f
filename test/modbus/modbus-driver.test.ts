/**
 * ModbusDriver against a real Modbus TCP peer: Debian's pymodbus 3.0.0
 * (test/modbus/pymodbus_server.py), which logs every request it serves.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Device, ErrorKind, GatewayError } from '@gw/contracts';
import type { WriteRequest } from '@gw/device-sdk/driver';
import { HR, newDriver, profile, reqs, resource } from './driver-fixtures';
import { ModbusDriver } from '@gw/drivers/modbus';
import { freePort, servedRequests, startPymodbus, stopProcess } from './pymodbus';

let port: number;
let dir: string;
let logFile: string;
let server: ChildProcess | undefined;

/** Requests the server saw: [unit, fc, address, count]. */
const served = (): number[][] => servedRequests(logFile);

function device(name: string, unitId: number, extra: Record<string, unknown> = {}): Device {
  return {
    name,
    adminState: 'UNLOCKED',
    operatingState: 'UP',
    profileName: 'P',
    protocols: { 'modbus-tcp': { Address: '127.0.0.1', Port: port, UnitID: unitId, Timeout: '300ms', ...extra } },
  } as unknown as Device;
}

beforeAll(async () => {
  port = await freePort();
  dir = mkdtempSync(join(tmpdir(), 'modbus-test-'));
  logFile = join(dir, 'requests.log');
  server = await startPymodbus({ tcpPort: port }, logFile);
});

afterAll(async () => {
  await stopProcess(server);
  rmSync(dir, { recursive: true, force: true });
});

describe('ModbusDriver against pymodbus', () => {
  let driver: ModbusDriver;
  beforeEach(async () => {
    driver = await newDriver();
  });
  afterEach(async () => {
    await driver.stop(true);
  });

  it('reads every numeric type with and without swaps, bits and a string, in one request', async () => {
    const resources = [
      resource('f32', 'Float32', { primaryTable: HR, startingAddress: 0 }),
      resource('f32ws', 'Float32', { primaryTable: HR, startingAddress: 2, isWordSwap: true }),
      resource('f32bs', 'Float32', { primaryTable: HR, startingAddress: 4, isByteSwap: true }),
      resource('f32both', 'Float32', { primaryTable: HR, startingAddress: 6, isByteSwap: true, isWordSwap: true }),
      resource('i16', 'Int16', { primaryTable: HR, startingAddress: 8 }),
      resource('u16', 'Uint16', { primaryTable: HR, startingAddress: 9 }),
      resource('i32', 'Int32', { primaryTable: HR, startingAddress: 10 }),
      resource('u32ws', 'Uint32', { primaryTable: HR, startingAddress: 12, isWordSwap: 'true' }),
      resource('i64', 'Int64', { primaryTable: HR, startingAddress: 14 }),
      resource('u64ws', 'Uint64', { primaryTable: HR, startingAddress: 18, isWordSwap: true }),
      resource('f64', 'Float64', { primaryTable: HR, startingAddress: 22 }),
      resource('f64both', 'Float64', { primaryTable: HR, startingAddress: 26, isByteSwap: true, isWordSwap: true }),
      resource('bit0', 'Bool', { primaryTable: HR, startingAddress: '30.0' }),
      resource('bit1', 'Bool', { primaryTable: HR, startingAddress: '30.1' }),
      resource('bit10', 'Bool', { primaryTable: HR, startingAddress: 30.1 }), // YAML 30.10 → bit 10
      resource('bit15', 'Bool', { primaryTable: HR, startingAddress: '30.15' }),
      resource('str', 'String', { primaryTable: HR, startingAddress: 31, stringRegisterSize: 3 }),
      resource('u16bs', 'Uint16', { primaryTable: HR, startingAddress: 34, isByteSwap: true }),
    ];
    const dev = device('types', 1);
    const p = profile(resources);
    await driver.addDevice(dev, p);
    const before = served().length;
    const values = (await driver.read(dev, p, reqs(resources))).map((r) => r.value);
    expect(values).toEqual([
      1.5, 1.5, 1.5, 1.5, -2, 0x1234, -123456789, 0x12345678, -2n, 0x0102030405060708n, 1.5, 1.5,
      true, false, true, true, 'ABCDE', 0x1234,
    ]);
    expect(served().slice(before)).toEqual([[1, 3, 0, 35]]); // coalesced: one FC3 for 18 resources
  });

  it('reads input registers, coils and discrete inputs', async () => {
    const resources = [
      resource('ir', 'Uint16', { primaryTable: 'INPUT_REGISTERS', startingAddress: 0 }),
      resource('irf', 'Float32', { primaryTable: 'INPUT_REGISTERS', startingAddress: 1 }),
      resource('irraw', 'Float32', { primaryTable: 'INPUT_REGISTERS', startingAddress: 3, rawType: 'Int16' }),
      resource('c0', 'Bool', { primaryTable: 'COILS', startingAddress: 0 }),
      resource('c1', 'Bool', { primaryTable: 'COILS', startingAddress: 1 }),
      resource('c3', 'Bool', { primaryTable: 'COILS', startingAddress: 3 }),
      resource('c20', 'Bool', { primaryTable: 'COILS', startingAddress: 20 }),
      resource('d0', 'Bool', { primaryTable: 'DISCRETES_INPUT', startingAddress: 0 }),
      resource('d2', 'Bool', { primaryTable: 'DISCRETE_INPUTS', startingAddress: 2 }),
    ];
    const dev = device('tables', 1);
    const p = profile(resources);
    await driver.addDevice(dev, p);
    const before = served().length;
    expect((await driver.read(dev, p, reqs(resources))).map((r) => r.value)).toEqual([0x1234, 1.5, -100, true, false, true, true, false, true]);
    expect(served().slice(before)).toEqual([
      [1, 1, 0, 21],
      [1, 2, 0, 3],
      [1, 4, 0, 4],
    ]);
  });

  it('tells units apart on one connection', async () => {
    const r = [resource('w', 'Uint16', { primaryTable: HR, startingAddress: 0 })];
    const p = profile(r);
    const a = device('u1', 1);
    const b = device('u2', 2);
    await driver.addDevice(a, p);
    await driver.addDevice(b, p);
    const [va, vb] = await Promise.all([driver.read(a, p, reqs(r)), driver.read(b, p, reqs(r))]);
    expect([va[0].value, vb[0].value]).toEqual([0x3fc0, 2]);
    expect(driver.connections.size).toBe(1);
  });

  it('writes registers, coils and a bit inside a holding register, then reads them back', async () => {
    const resources = [
      resource('w16', 'Int16', { primaryTable: HR, startingAddress: 40 }),
      resource('w32', 'Float32', { primaryTable: HR, startingAddress: 41, isWordSwap: true }),
      resource('wstr', 'String', { primaryTable: HR, startingAddress: 43, stringRegisterSize: 3 }),
      resource('coil', 'Bool', { primaryTable: 'COILS', startingAddress: 10 }),
      resource('bit4', 'Bool', { primaryTable: HR, startingAddress: '50.4' }),
      resource('reg50', 'Uint16', { primaryTable: HR, startingAddress: 50 }),
    ];
    const dev = device('writer', 2);
    const p = profile(resources);
    await driver.addDevice(dev, p);
    const before = served().length;
    const values: unknown[] = [-1234, 2.5, 'pump', true, true];
    const writes = reqs(resources.slice(0, 5)).map((r, i) => ({ ...r, value: values[i] }) as WriteRequest);
    await driver.write(dev, p, writes);
    expect(served().slice(before).map(([u, fc, a]) => [u, fc, a])).toEqual([
      [2, 6, 40],
      [2, 16, 41],
      [2, 16, 43],
      [2, 5, 10],
      [2, 3, 50], // read-modify-write
      [2, 6, 50],
    ]);
    const back = (await driver.read(dev, p, reqs(resources))).map((r) => r.value);
    expect(back).toEqual([-1234, 2.5, 'pump', true, true, 0x8011]);
    await driver.write(dev, p, [{ ...reqs([resources[4]])[0], value: false } as WriteRequest]);
    expect((await driver.read(dev, p, reqs([resources[5]])))[0].value).toBe(0x8001);
  });

  it('refuses writes to read-only tables without a request', async () => {
    const r = [resource('ir', 'Uint16', { primaryTable: 'INPUT_REGISTERS', startingAddress: 0 })];
    const dev = device('ro', 1);
    await driver.addDevice(dev, profile(r));
    const before = served().length;
    await expect(driver.write(dev, profile(r), [{ ...reqs(r)[0], value: 1 } as WriteRequest])).rejects.toMatchObject({ kind: ErrorKind.NotAllowed });
    expect(served().length).toBe(before);
  });

  it('turns an exception response into a clear error naming device, unit and address', async () => {
    const r = [resource('beyond', 'Float64', { primaryTable: HR, startingAddress: 198 })];
    const dev = device('Boiler', 1);
    await driver.addDevice(dev, profile(r));
    const err = await driver.read(dev, profile(r), reqs(r)).catch((e: unknown) => e);
    expect(GatewayError.is(err, ErrorKind.ContractInvalid)).toBe(true);
    expect((err as Error).message).toMatch(/^device "Boiler" unit 1 HOLDING_REGISTERS 198\+4 \(FC3\) on tcp:\/\/127\.0\.0\.1:\d+: Modbus exception 2 \(illegal data address\)$/);
    // The connection stays usable.
    const ok = [resource('i16', 'Int16', { primaryTable: HR, startingAddress: 8 })];
    expect((await driver.read(dev, profile(ok), reqs(ok)))[0].value).toBe(-2);
  });

  it('names device, resource and attribute when a device is refused', async () => {
    const bad = profile([resource('temp', 'Int16', { primaryTable: 'REGS', startingAddress: 0 })]);
    await expect(driver.validateDevice(device('Pump', 1), bad)).rejects.toThrow(/^device "Pump" resource "temp": attribute primaryTable: "REGS" is not one of/);
    await expect(driver.addDevice(device('Pump', 1, { Port: 0 }), profile([]))).rejects.toThrow(/device "Pump": protocol modbus-tcp property Port: 0/);
  });

  it('coalesces ~10 resources in one request, and splits at a gap above maxRegisterGap', async () => {
    const close = Array.from({ length: 10 }, (_, i) => resource(`r${i}`, 'Uint16', { primaryTable: HR, startingAddress: 100 + (i % 6) }));
    const dev = device('coalesce', 1);
    await driver.addDevice(dev, profile(close));
    const before = served().length;
    const got = await driver.read(dev, profile(close), reqs(close));
    expect(got.map((r) => r.value)).toEqual([100, 101, 102, 103, 104, 105, 100, 101, 102, 103]);
    expect(served().slice(before)).toEqual([[1, 3, 100, 6]]);

    const gapped = [
      ...Array.from({ length: 5 }, (_, i) => resource(`a${i}`, 'Uint16', { primaryTable: HR, startingAddress: 100 + i })),
      ...Array.from({ length: 5 }, (_, i) => resource(`b${i}`, 'Uint16', { primaryTable: HR, startingAddress: 120 + i })),
    ];
    const tight = await newDriver({ maxRegisterGap: 10 });
    try {
      await tight.addDevice(dev, profile(gapped));
      const mark = served().length;
      await tight.read(dev, profile(gapped), reqs(gapped));
      expect(served().slice(mark)).toEqual([
        [1, 3, 100, 5],
        [1, 3, 120, 5],
      ]);
      const wide = await newDriver({ maxRegisterGap: 20 });
      await wide.addDevice(dev, profile(gapped));
      const mark2 = served().length;
      await wide.read(dev, profile(gapped), reqs(gapped));
      expect(served().slice(mark2)).toEqual([[1, 3, 100, 25]]);
      await wide.stop(true);
    } finally {
      await tight.stop(true);
    }
  });

  it('asks a silent unit once even when several of its requests were already queued behind the first', async () => {
    const backoff = await newDriver({ unitBackoffMs: 60_000 });
    try {
      const r = [resource('i16', 'Int16', { primaryTable: HR, startingAddress: 8 })];
      const p = profile(r);
      const dead = device('dead-queued', 9);
      const live = device('live-queued', 1);
      await backoff.addDevice(dead, p);
      await backoff.addDevice(live, p);
      const mark = served().length;
      // A poll and two commands for the dead unit, and a live read, all queued at once.
      const outcomes = await Promise.allSettled([
        backoff.read(dead, p, reqs(r)),
        backoff.read(dead, p, reqs(r)),
        backoff.read(dead, p, reqs(r)),
        backoff.read(live, p, reqs(r)),
      ]);
      expect(outcomes.map((o) => (o.status === 'rejected' ? (o.reason as GatewayError).kind : 'ok'))).toEqual([
        ErrorKind.Timeout,
        ErrorKind.ServiceUnavailable,
        ErrorKind.ServiceUnavailable,
        'ok',
      ]);
      // Only one timeout's worth of line time went to unit 9.
      expect(served().slice(mark)).toEqual([
        [9, 3, 8, 1],
        [1, 3, 8, 1],
      ]);
    } finally {
      await backoff.stop(true);
    }
  });

  it('backs off a unit that does not answer so another unit on the line keeps its schedule', async () => {
    const backoff = await newDriver({ unitBackoffMs: 60_000 });
    try {
      const r = [resource('i16', 'Int16', { primaryTable: HR, startingAddress: 8 })];
      const p = profile(r);
      const live = device('live', 1);
      const dead = device('dead', 9);
      await backoff.addDevice(live, p);
      await backoff.addDevice(dead, p);
      const first = await backoff.read(dead, p, reqs(r)).catch((e: unknown) => e);
      expect(GatewayError.is(first, ErrorKind.Timeout)).toBe(true);
      expect((first as Error).message).toMatch(/^device "dead" unit 9 HOLDING_REGISTERS 8\+1 \(FC3\) .*timed out/);

      // Ten poll cycles, both devices due together: the dead unit is skipped at once, the live one is served every time.
      const mark = served().length;
      for (let cycle = 0; cycle < 10; cycle++) {
        const [d, l] = await Promise.allSettled([backoff.read(dead, p, reqs(r)), backoff.read(live, p, reqs(r))]);
        expect(d.status).toBe('rejected');
        expect(GatewayError.is((d as PromiseRejectedResult).reason, ErrorKind.ServiceUnavailable)).toBe(true);
        expect(((d as PromiseRejectedResult).reason as Error).message).toMatch(/unit 9 .* backed off/);
        expect(l).toEqual({ status: 'fulfilled', value: [{ value: -2 }] });
      }
      const seen = served().slice(mark);
      expect(seen).toEqual(Array.from({ length: 10 }, () => [1, 3, 8, 1]));
    } finally {
      await backoff.stop(true);
    }
  });
});

describe('reconnect', () => {
  it('reconnects after the server is killed and restarted on the same port', async () => {
    // A request sent as the peer dies can time out: keep the unit back-off short here.
    const driver = await newDriver({ unitBackoffMs: 100, unitBackoffMaxMs: 200 });
    try {
      const r = [resource('i16', 'Int16', { primaryTable: HR, startingAddress: 8 })];
      const p = profile(r);
      const dev = device('phoenix', 1);
      await driver.addDevice(dev, p);
      expect((await driver.read(dev, p, reqs(r)))[0].value).toBe(-2);

      await stopProcess(server);
      const down = await driver.read(dev, p, reqs(r)).catch((e: unknown) => e);
      expect(GatewayError.is(down)).toBe(true);
      expect([ErrorKind.Communication, ErrorKind.ServiceUnavailable, ErrorKind.Timeout]).toContain((down as GatewayError).kind);

      server = await startPymodbus({ tcpPort: port }, logFile);
      let value: unknown;
      for (let attempt = 0; attempt < 50 && value === undefined; attempt++) {
        try {
          value = (await driver.read(dev, p, reqs(r)))[0].value;
        } catch {
          await new Promise((res) => setTimeout(res, 100));
        }
      }
      expect(value).toBe(-2);
    } finally {
      await driver.stop(true);
    }
  });
});
