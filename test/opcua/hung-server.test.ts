/**
 * A server that stops answering without closing the connection (a PLC that
 * hangs, a network that drops packets): no socket error tells the driver, its
 * keep-alive does. A relay between driver and apps/opcua-sim freezes (reads
 * nothing, closes nothing); the session is given up after the keep-alive
 * fails, reopened once the path works again, and the monitored items come
 * back once each.
 */
import { createServer, Server, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { parseDeviceProfile, validateDevice } from '@gw/contracts';
import type { OpcuaDriver } from '@gw/drivers/opcua';
import type { RunningOpcuaSim } from '../../apps/opcua-sim/src/simulator';
import { RecordingContext, startedDriver, startSim } from './support';

/** A TCP relay to the sim that can freeze: while frozen it forwards nothing and closes nothing. */
class FreezingRelay {
  private readonly pairs = new Set<[Socket, Socket]>();
  private frozen = false;
  private readonly server: Server;
  port = 0;

  private constructor(target: number) {
    this.server = createServer((client) => {
      const upstream = new Socket().connect(target, '127.0.0.1');
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      for (const s of pair) s.on('error', () => undefined);
      client.pipe(upstream);
      upstream.pipe(client);
      const end = () => {
        client.destroy();
        upstream.destroy();
        this.pairs.delete(pair);
      };
      client.on('close', end);
      upstream.on('close', end);
      if (this.frozen) for (const s of pair) s.pause();
    });
  }

  static async start(target: number): Promise<FreezingRelay> {
    const relay = new FreezingRelay(target);
    await new Promise<void>((resolve) => relay.server.listen(0, '127.0.0.1', resolve));
    relay.port = (relay.server.address() as AddressInfo).port;
    return relay;
  }

  freeze(): void {
    this.frozen = true;
    for (const [a, b] of this.pairs) {
      a.unpipe(b);
      b.unpipe(a);
      a.pause();
      b.pause();
    }
  }

  /** Forwards again for new connections; the frozen ones are dropped (their peers gave up on them). */
  thaw(): void {
    this.frozen = false;
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
    }
  }

  async close(): Promise<void> {
    this.thaw();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('a server that hangs without closing the connection', () => {
  let sim: RunningOpcuaSim;
  let relay: FreezingRelay;
  let driver: OpcuaDriver;
  let context: RecordingContext;

  beforeAll(async () => {
    sim = await startSim({ tickMs: 100 });
    relay = await FreezingRelay.start(Number(new URL(sim.endpointUrl).port));
    ({ driver, context } = await startedDriver({ GW_OPCUA_KEEP_ALIVE_INTERVAL: '500ms', GW_OPCUA_REQUEST_TIMEOUT: '1s', GW_OPCUA_CONNECT_TIMEOUT: '2s' }));
  });

  afterAll(async () => {
    await driver?.stop(true);
    await relay?.close();
    await sim?.close();
  });

  const state = () => driver.inspect()[0];
  const waitFor = async (what: string, ok: () => boolean, ms = 20_000) => {
    const deadline = Date.now() + ms;
    while (!ok()) {
      if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms (${JSON.stringify(state())})`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  it('gives the session up when the keep-alive fails, and reconnects with its items once the server answers again', async () => {
    const profile = parseDeviceProfile(`
name: Hung
deviceResources:
  - { name: Counter, properties: { valueType: Int32, readWrite: R }, attributes: { nodeId: "ns=3;i=1002" } }
`);
    const device = validateDevice({
      name: 'hung',
      profileName: 'Hung',
      serviceName: 'device-opcua',
      protocols: { opcua: { Endpoint: `opc.tcp://127.0.0.1:${relay.port}/OPCUA/SimulationServer` } },
      autoEvents: [{ sourceName: 'Counter', interval: '100ms', onChange: false }],
    });
    await driver.addDevice(device, profile);
    await context.until((p) => (p.length >= 2 ? true : undefined));
    expect(state()).toMatchObject({ state: 'connected', generation: 1, items: 1 });

    relay.freeze();
    await waitFor('the session given up', () => state().state !== 'connected');
    // While the server does not answer, a command fails at once, saying why, instead of hanging.
    const failed = await driver.read(device, profile, [{ resource: profile.deviceResources[0], attributes: profile.deviceResources[0].attributes!, valueType: 'Int32' }]).then(
      () => undefined,
      (err: Error) => err.message,
    );
    expect(failed).toMatch(/opc\.tcp:\/\/127\.0\.0\.1:\d+\/OPCUA\/SimulationServer/);

    relay.thaw();
    await waitFor('reconnected', () => state().state === 'connected' && state().generation === 2);
    await driver.settled();
    expect(state()).toMatchObject({ items: 1, subscriptions: 1 });
    const resumedFrom = context.pushed.length;
    await context.until((p) => (p.length >= resumedFrom + 2 ? true : undefined));
    const origins = context.pushed.map((p) => p.values[0].origin);
    expect(origins.length - new Set(origins).size).toBe(0);
  });
});
