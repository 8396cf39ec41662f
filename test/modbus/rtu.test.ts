/**
 * ModbusDriver over Modbus RTU: a socat pseudo-terminal pair stands in for the
 * serial line, Debian's pymodbus 3.0.0 (test/modbus/pymodbus_server.py) serves
 * units 1 and 2 on one end, the driver opens the other.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Device, ErrorKind, GatewayError } from '@gw/contracts';
import { HR, newDriver, profile, reqs, resource, writes } from './driver-fixtures';
import { ModbusDriver } from '@gw/drivers/modbus';
import { servedRequests, startPtyPair, startPymodbus, stopProcess } from './pymodbus';

let dir: string;
let logFile: string;
/** The driver's end of the line. */
let line: string;
let socat: ChildProcess | undefined;
let server: ChildProcess | undefined;

const served = (): number[][] => servedRequests(logFile);

/** An RTU device as an EdgeX device file gives it: every protocol property a string, Timeout in seconds. */
function device(name: string, unitId: number, extra: Record<string, unknown> = {}): Device {
  return {
    name,
    adminState: 'UNLOCKED',
    operatingState: 'UP',
    profileName: 'P',
    protocols: {
      'modbus-rtu': { Address: line, BaudRate: '19200', DataBits: '8', StopBits: '1', Parity: 'N', UnitID: String(unitId), Timeout: '1', ...extra },
    },
  } as unknown as Device;
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'modbus-rtu-test-'));
  logFile = join(dir, 'requests.log');
  const pty = await startPtyPair(dir);
  socat = pty.process;
  line = pty.b;
  server = await startPymodbus({ serialPath: pty.a, baudRate: 19200 }, logFile);
});

afterAll(async () => {
  await stopProcess(server);
  await stopProcess(socat);
  rmSync(dir, { recursive: true, force: true });
});

describe('ModbusDriver over RTU against pymodbus', () => {
  let driver: ModbusDriver;
  beforeEach(async () => {
    driver = await newDriver();
  });
  afterEach(async () => {
    await driver.stop(true);
  });

  it('reads registers of several types in one request', async () => {
    const resources = [
      resource('f32', 'Float32', { primaryTable: HR, startingAddress: 0 }),
      resource('f32ws', 'Float32', { primaryTable: HR, startingAddress: 2, isWordSwap: 'true' }),
      resource('i16', 'Int16', { primaryTable: HR, startingAddress: 8 }),
      resource('u16', 'Uint16', { primaryTable: HR, startingAddress: 9 }),
      resource('i32', 'Int32', { primaryTable: HR, startingAddress: 10 }),
      resource('i64', 'Int64', { primaryTable: HR, startingAddress: 14 }),
      resource('f64', 'Float64', { primaryTable: HR, startingAddress: 22 }),
      resource('bit15', 'Bool', { primaryTable: HR, startingAddress: '30.15' }),
      resource('str', 'String', { primaryTable: HR, startingAddress: 31, stringRegisterSize: 3 }),
    ];
    const dev = device('types', 1);
    const p = profile(resources);
    await driver.addDevice(dev, p);
    const before = served().length;
    const values = (await driver.read(dev, p, reqs(resources))).map((r) => r.value);
    expect(values).toEqual([1.5, 1.5, -2, 0x1234, -123456789, -2n, 1.5, true, 'ABCDE']);
    expect(served().slice(before)).toEqual([[1, 3, 0, 34]]);
  });

  it('reads coils, discrete inputs and input registers, one request per table, and writes a coil', async () => {
    const resources = [
      resource('c0', 'Bool', { primaryTable: 'COILS', startingAddress: 0 }),
      resource('c1', 'Bool', { primaryTable: 'COILS', startingAddress: 1 }),
      resource('c20', 'Bool', { primaryTable: 'COILS', startingAddress: 20 }),
      resource('d1', 'Bool', { primaryTable: 'DISCRETES_INPUT', startingAddress: 1 }),
      resource('d3', 'Bool', { primaryTable: 'DISCRETE_INPUTS', startingAddress: 3 }),
      resource('ir', 'Uint16', { primaryTable: 'INPUT_REGISTERS', startingAddress: 0 }),
      resource('irf', 'Float32', { primaryTable: 'INPUT_REGISTERS', startingAddress: 1 }),
    ];
    const dev = device('bits', 1);
    const p = profile(resources);
    await driver.addDevice(dev, p);
    const before = served().length;
    expect((await driver.read(dev, p, reqs(resources))).map((r) => r.value)).toEqual([true, false, true, true, false, 0x1234, 1.5]);
    expect(served().slice(before)).toEqual([
      [1, 1, 0, 21],
      [1, 2, 1, 3],
      [1, 4, 0, 3],
    ]);

    const coil = [resource('c30', 'Bool', { primaryTable: 'COILS', startingAddress: 30 })];
    for (const value of [true, false, true]) {
      await driver.write(dev, profile(coil), writes(coil, [value]));
      expect((await driver.read(dev, profile(coil), reqs(coil)))[0].value).toBe(value);
    }
    expect(served().slice(-2)).toEqual([
      [1, 5, 30, 0],
      [1, 1, 30, 1],
    ]);
  });

  it('writes registers and a bit inside a holding register, then reads them back', async () => {
    const resources = [
      resource('w16', 'Int16', { primaryTable: HR, startingAddress: 40 }),
      resource('w32', 'Float32', { primaryTable: HR, startingAddress: 41, isWordSwap: true }),
      resource('wstr', 'String', { primaryTable: HR, startingAddress: 43, stringRegisterSize: 3 }),
      resource('bit4', 'Bool', { primaryTable: HR, startingAddress: '50.4' }),
      resource('reg50', 'Uint16', { primaryTable: HR, startingAddress: 50 }),
    ];
    const dev = device('writer', 2);
    const p = profile(resources);
    await driver.addDevice(dev, p);
    const before = served().length;
    await driver.write(dev, p, writes(resources.slice(0, 4), [-1234, 2.5, 'pump', true]));
    expect(served().slice(before).map(([u, fc, a]) => [u, fc, a])).toEqual([
      [2, 6, 40],
      [2, 16, 41],
      [2, 16, 43],
      [2, 3, 50], // read-modify-write
      [2, 6, 50],
    ]);
    expect((await driver.read(dev, p, reqs(resources))).map((r) => r.value)).toEqual([-1234, 2.5, 'pump', true, 0x8011]);
    // Unit 1's registers are its own.
    const unit1 = device('other', 1);
    await driver.addDevice(unit1, p);
    expect((await driver.read(unit1, p, reqs(resources.slice(0, 1))))[0].value).toBe(0);
  });

  it('turns an exception response into a clear error naming device, unit, address and line', async () => {
    const r = [resource('beyond', 'Float64', { primaryTable: HR, startingAddress: 198 })];
    const dev = device('Boiler', 1);
    await driver.addDevice(dev, profile(r));
    const err = await driver.read(dev, profile(r), reqs(r)).catch((e: unknown) => e);
    expect(GatewayError.is(err, ErrorKind.ContractInvalid)).toBe(true);
    expect((err as Error).message).toMatch(
      new RegExp(`^device "Boiler" unit 1 HOLDING_REGISTERS 198\\+4 \\(FC3\\) on rtu://${escape(line)}: Modbus exception 2 \\(illegal data address\\)$`),
    );
    // The line stays usable.
    const ok = [resource('i16', 'Int16', { primaryTable: HR, startingAddress: 8 })];
    expect((await driver.read(dev, profile(ok), reqs(ok)))[0].value).toBe(-2);
  });

  it('shares one connection between two units on the line and tells their answers apart', async () => {
    const r = [resource('w', 'Uint16', { primaryTable: HR, startingAddress: 0 })];
    const p = profile(r);
    const a = device('u1', 1);
    const b = device('u2', 2);
    await driver.addDevice(a, p);
    await driver.addDevice(b, p);
    const before = served().length;
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => driver.read(i % 2 ? b : a, p, reqs(r))));
    expect(results.map((v) => v[0].value)).toEqual(Array.from({ length: 10 }, (_, i) => (i % 2 ? 2 : 0x3fc0)));
    expect(served().slice(before).map(([u]) => u)).toEqual([1, 2, 1, 2, 1, 2, 1, 2, 1, 2]);
    expect(driver.connections.size).toBe(1);
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
      const before = served().length;
      const first = await backoff.read(dead, p, reqs(r)).catch((e: unknown) => e);
      expect(GatewayError.is(first, ErrorKind.Timeout)).toBe(true);
      expect((first as Error).message).toMatch(/^device "dead" unit 9 HOLDING_REGISTERS 8\+1 \(FC3\) .*timed out/);
      expect(served().slice(before)).toEqual([[9, 3, 8, 1]]); // it was on the line, unanswered

      // Ten poll cycles, both devices due together: unit 9 is not addressed again, unit 1 is served every time.
      const mark = served().length;
      for (let cycle = 0; cycle < 10; cycle++) {
        const [d, l] = await Promise.allSettled([backoff.read(dead, p, reqs(r)), backoff.read(live, p, reqs(r))]);
        expect(d.status).toBe('rejected');
        expect(GatewayError.is((d as PromiseRejectedResult).reason, ErrorKind.ServiceUnavailable)).toBe(true);
        expect(((d as PromiseRejectedResult).reason as Error).message).toMatch(/unit 9 .* backed off/);
        expect(l).toEqual({ status: 'fulfilled', value: [{ value: -2 }] });
      }
      expect(served().slice(mark)).toEqual(Array.from({ length: 10 }, () => [1, 3, 8, 1]));
      expect(backoff.connections.size).toBe(1);
    } finally {
      await backoff.stop(true);
    }
  });

  it('serves many back-to-back requests on the line, each answered and none repeated', async () => {
    const reg = [resource('r60', 'Uint16', { primaryTable: HR, startingAddress: 60 })];
    const p = profile(reg);
    const units = [device('seq1', 1), device('seq2', 2)];
    for (const dev of units) await driver.addDevice(dev, p);
    const before = served().length;
    // Sequential: each request is sent as soon as the previous answer is in.
    for (let i = 0; i < 100; i++) {
      const dev = units[i % 2];
      await driver.write(dev, p, writes(reg, [i]));
      expect((await driver.read(dev, p, reqs(reg)))[0].value).toBe(i);
    }
    // Queued all at once: the connection sends each right after the previous one completes.
    const burst = await Promise.all(Array.from({ length: 100 }, (_, i) => driver.read(units[i % 2], p, reqs(reg))));
    expect(burst.map((v) => v[0].value)).toEqual(Array.from({ length: 100 }, (_, i) => (i % 2 ? 99 : 98)));
    expect(served().length - before).toBe(300);
  });

  it('keeps 3.5 character times of silence between frames (29 ms at 1200 baud)', async () => {
    // A pty has no baud rate, so frames arrive at once: only the driver's own wait can make this take longer.
    const slow = device('slow', 1, { BaudRate: '1200' });
    const r = [resource('i16', 'Int16', { primaryTable: HR, startingAddress: 8 })];
    const p = profile(r);
    await driver.addDevice(slow, p);
    await driver.read(slow, p, reqs(r));
    const start = performance.now();
    const values = await Promise.all(Array.from({ length: 10 }, () => driver.read(slow, p, reqs(r))));
    const elapsed = performance.now() - start;
    expect(values.map((v) => v[0].value)).toEqual(Array.from({ length: 10 }, () => -2));
    const silenceMs = (3.5 * 10 * 1000) / 1200; // start + 8 data + stop bits per character
    expect(elapsed).toBeGreaterThanOrEqual(9 * silenceMs); // nine full gaps inside the burst, and part of the first
  });
});
