/**
 * A peer that hangs up while a request is in flight (a PLC rebooting, a
 * gateway dropping the socket). modbus-serial would leave that request
 * waiting for its full timeout; the driver must fail it at once as a
 * communication error, not blame the unit with a timeout back-off.
 */
import { AddressInfo, createServer, Server, Socket } from 'node:net';
import { Device, DeviceProfile, DeviceResource, ErrorKind, GatewayError } from '@gw/contracts';
import type { CommandRequest, DriverContext } from '@gw/device-sdk/driver';
import { ModbusDriver } from '@gw/drivers/modbus';

const logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const context: DriverContext = { serviceName: 'device-modbus', logger, pushValues: () => undefined };

const resource = { name: 'level', isHidden: false, properties: { valueType: 'Uint16', readWrite: 'R' }, attributes: { primaryTable: 'HOLDING_REGISTERS', startingAddress: 0 } } as unknown as DeviceResource;
const profile = { name: 'P', deviceResources: [resource], deviceCommands: [] } as unknown as DeviceProfile;
const requests = [{ resource, attributes: resource.attributes, valueType: 'Uint16' }] as CommandRequest[];

/** Answers FC3 with register value 7, except that it hangs up on the request numbered `hangUpOn` (1-based). */
function flakyPeer(hangUpOn: number): Promise<{ server: Server; port: number; requests: () => number }> {
  let seen = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('data', (frame) => {
      seen++;
      if (seen === hangUpOn) {
        socket.destroy();
        return;
      }
      // MBAP header echo (transaction id, protocol 0), length 5, unit, FC3, 2 bytes, value 7.
      const reply = Buffer.from([frame[0], frame[1], 0, 0, 0, 5, frame[6], 3, 2, 0, 7]);
      socket.write(reply);
    });
  });
  server.on('close', () => sockets.forEach((s) => s.destroy()));
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port, requests: () => seen })),
  );
}

it('fails a request in flight at once when the peer hangs up, without backing off the unit', async () => {
  const peer = await flakyPeer(2);
  const driver = new ModbusDriver({ connection: { reconnectMinMs: 10 }, unitBackoffMs: 60_000 });
  await driver.initialize(context);
  const device = {
    name: 'Tank',
    profileName: 'P',
    protocols: { 'modbus-tcp': { Address: '127.0.0.1', Port: peer.port, UnitID: 1, Timeout: '60s' } },
  } as unknown as Device;
  try {
    await driver.addDevice(device, profile);
    expect((await driver.read(device, profile, requests))[0].value).toBe(7);

    // With a 60 s device timeout, only the hang-up can end this read before Jest's own timeout.
    const err = await driver.read(device, profile, requests).catch((e: unknown) => e);
    expect(GatewayError.is(err, ErrorKind.Communication)).toBe(true);
    expect((err as Error).message).toMatch(/^device "Tank" unit 1 HOLDING_REGISTERS 0\+1 \(FC3\) on tcp:\/\/127\.0\.0\.1:\d+: connection lost/);

    // Not backed off: the next read reconnects and is served.
    expect((await driver.read(device, profile, requests))[0].value).toBe(7);
    expect(peer.requests()).toBe(3);
    expect(driver.connections.get({ key: `tcp://127.0.0.1:${peer.port}` } as never).connects).toBe(2);
  } finally {
    await driver.stop(true);
    await new Promise((r) => peer.server.close(r));
  }
});

it('fails a request in flight at once when the peer resets the connection (RST), without backing off the unit', async () => {
  // modbus-serial reports nothing to its client when the socket closes after an error: the driver listens to the socket itself.
  let seen = 0;
  const server = createServer((socket) => {
    socket.on('data', (frame) => {
      seen++;
      if (seen === 1) socket.resetAndDestroy();
      else socket.write(Buffer.from([frame[0], frame[1], 0, 0, 0, 5, frame[6], 3, 2, 0, 9]));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  // A connection lost before any answer counts as a failed connect; no reconnect back-off here, so the retry below goes out at once.
  const driver = new ModbusDriver({ connection: { reconnectMinMs: 0 }, unitBackoffMs: 60_000 });
  await driver.initialize(context);
  const device = { name: 'Tank', profileName: 'P', protocols: { 'modbus-tcp': { Address: '127.0.0.1', Port: port, UnitID: 1, Timeout: '60s' } } } as unknown as Device;
  try {
    await driver.addDevice(device, profile);
    const err = await driver.read(device, profile, requests).catch((e: unknown) => e);
    expect(GatewayError.is(err, ErrorKind.Communication)).toBe(true);
    expect((await driver.read(device, profile, requests))[0].value).toBe(9);
  } finally {
    await driver.stop(true);
    await new Promise((r) => server.close(r));
  }
});

it('closes a connection left idle for IdleTimeout and reopens it for the next request', async () => {
  const peer = await flakyPeer(0);
  const driver = new ModbusDriver();
  await driver.initialize(context);
  const device = {
    name: 'Tank',
    profileName: 'P',
    protocols: { 'modbus-tcp': { Address: '127.0.0.1', Port: peer.port, UnitID: 1, Timeout: '5s', IdleTimeout: '50ms' } },
  } as unknown as Device;
  let firstClosed!: Promise<void>;
  peer.server.once('connection', (socket) => (firstClosed = new Promise((resolve) => socket.once('close', () => resolve()))));
  try {
    await driver.addDevice(device, profile);
    expect((await driver.read(device, profile, requests))[0].value).toBe(7);
    // Nobody asks for 50 ms: the driver hangs up, and the peer sees it.
    await firstClosed;
    expect((await driver.read(device, profile, requests))[0].value).toBe(7);
    expect(driver.connections.existing(`tcp://127.0.0.1:${peer.port}`)!.connects).toBe(2);
  } finally {
    await driver.stop(true);
    await new Promise((r) => peer.server.close(r));
  }
});

it('backs off reconnecting to a peer that accepts and hangs up before answering (a PLC over its connection limit)', async () => {
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const driver = new ModbusDriver({ connection: { reconnectMinMs: 60_000 }, unitBackoffMs: 60_000 });
  await driver.initialize(context);
  const device = { name: 'Tank', profileName: 'P', protocols: { 'modbus-tcp': { Address: '127.0.0.1', Port: port, UnitID: 1, Timeout: '5s' } } } as unknown as Device;
  try {
    await driver.addDevice(device, profile);
    const first = await driver.read(device, profile, requests).catch((e: unknown) => e);
    expect(GatewayError.is(first, ErrorKind.Communication)).toBe(true);
    // Ten more polls: refused at once, no new connection.
    for (let i = 0; i < 10; i++) {
      const err = await driver.read(device, profile, requests).catch((e: unknown) => e);
      expect((err as Error).message).toMatch(/next connect attempt in \d+ ms/);
    }
    expect(connections).toBe(1);
  } finally {
    await driver.stop(true);
    await new Promise((r) => server.close(r));
  }
});
