/**
 * A unit that answers after the driver's timeout, over Modbus RTU. RTU frames
 * carry no transaction id and modbus-serial's buffered port matches an answer
 * by unit and function code only, so a late answer could be taken for the
 * next request's: a wrong value, silently. The driver must hand every request
 * its own answer. A socat pseudo-terminal pair stands in for the serial line;
 * a scripted slave on the other end answers request k with register value k.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { Device, DeviceProfile, DeviceResource, ErrorKind, GatewayError } from '@gw/contracts';
import type { CommandRequest, DriverContext } from '@gw/device-sdk/driver';
import { ModbusDriver } from '@gw/drivers/modbus';
import { startPtyPair, stopProcess } from './pymodbus';

const TIMEOUT_MS = 300;
/** After the driver gave up on the first request, before its quiet time after a timeout (another TIMEOUT_MS) ends. */
const LATE_ANSWER_MS = 450;

/** CRC-16/Modbus (reflected 0x8005, initial 0xFFFF); sent low byte first. */
function crc16(frame: Buffer): number {
  let crc = 0xffff;
  for (const byte of frame) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

function withCrc(body: number[]): Buffer {
  const frame = Buffer.alloc(body.length + 2);
  Buffer.from(body).copy(frame);
  frame.writeUInt16LE(crc16(frame.subarray(0, body.length)), body.length);
  return frame;
}

/**
 * Serves FC3 requests one at a time, like a device with a single UART buffer:
 * request k is answered with value k, the first one LATE_ANSWER_MS after it
 * came in, the others as soon as the previous answer is out.
 */
class ScriptedSlave {
  /** Requests seen, in order: [unit, function code, address, count]. */
  readonly requests: number[][] = [];
  private input = Buffer.alloc(0);
  private answering = Promise.resolve();
  private lateTimer?: NodeJS.Timeout;

  private constructor(private readonly port: SerialPort) {
    port.on('data', (data: Buffer) => this.receive(data));
  }

  static open(path: string): Promise<ScriptedSlave> {
    return new Promise((resolve, reject) => {
      const port = new SerialPort({ path, baudRate: 19200 }, (err) => (err ? reject(err) : resolve(new ScriptedSlave(port))));
    });
  }

  close(): Promise<void> {
    clearTimeout(this.lateTimer);
    return new Promise((resolve) => (this.port.isOpen ? this.port.close(() => resolve()) : resolve()));
  }

  private receive(data: Buffer): void {
    this.input = Buffer.concat([this.input, data]);
    while (this.input.length >= 8) {
      const frame = this.input.subarray(0, 8);
      this.input = this.input.subarray(8);
      if (frame.readUInt16LE(6) !== crc16(frame.subarray(0, 6))) throw new Error(`bad CRC in ${frame.toString('hex')}`);
      this.requests.push([frame[0], frame[1], frame.readUInt16BE(2), frame.readUInt16BE(4)]);
      const k = this.requests.length;
      const answer = withCrc([frame[0], 3, 2, k >> 8, k & 0xff]);
      this.answering = this.answering.then(async () => {
        if (k === 1) await new Promise((r) => (this.lateTimer = setTimeout(r, LATE_ANSWER_MS)));
        await new Promise<void>((resolve, reject) => this.port.write(answer, (err) => (err ? reject(err) : this.port.drain(() => resolve()))));
      });
    }
  }
}

const logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const context: DriverContext = { serviceName: 'device-modbus', logger, pushValues: () => undefined };

const resource = {
  name: 'level',
  isHidden: false,
  properties: { valueType: 'Uint16', readWrite: 'R' },
  attributes: { primaryTable: 'HOLDING_REGISTERS', startingAddress: 0 },
} as unknown as DeviceResource;
const profile = { name: 'P', deviceResources: [resource], deviceCommands: [] } as unknown as DeviceProfile;
const requests = [{ resource, attributes: resource.attributes, valueType: 'Uint16' }] as CommandRequest[];

let dir: string;
let socat: ChildProcess | undefined;
let slave: ScriptedSlave | undefined;
let driver: ModbusDriver | undefined;
let line: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'modbus-rtu-late-'));
  const pty = await startPtyPair(dir);
  socat = pty.process;
  line = pty.b;
  slave = await ScriptedSlave.open(pty.a);
});

afterAll(async () => {
  await driver?.stop(true);
  await slave?.close();
  await stopProcess(socat);
  rmSync(dir, { recursive: true, force: true });
});

it('hands each request its own answer after a unit answered too late', async () => {
  // No unit back-off: the reads right after the timeout must reach the line.
  driver = new ModbusDriver({ unitBackoffMs: 0 });
  await driver.initialize(context);
  const device = {
    name: 'Meter',
    profileName: 'P',
    protocols: {
      'modbus-rtu': { Address: line, BaudRate: '19200', DataBits: '8', StopBits: '1', Parity: 'N', UnitID: '1', Timeout: String(TIMEOUT_MS / 1000) },
    },
  } as unknown as Device;
  await driver.addDevice(device, profile);

  const late = await driver.read(device, profile, requests).catch((e: unknown) => e);
  expect(GatewayError.is(late, ErrorKind.Timeout)).toBe(true);

  const values: unknown[] = [];
  for (let i = 0; i < 3; i++) values.push((await driver.read(device, profile, requests))[0].value);
  expect(values).toEqual([2, 3, 4]);
  expect(slave!.requests).toEqual(Array.from({ length: 4 }, () => [1, 3, 0, 1]));
});
