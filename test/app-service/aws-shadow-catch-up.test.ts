/**
 * AWS IoT shadow desired state against the device, not against reported
 * state (the shadow emulator on the machine's Mosquitto, the app service's
 * real DesiredStateHandler in front of a fake fan, the acknowledged versions
 * in a real outbox file reopened as a restart does):
 *  - desired Fan=true set while the gateway was offline, the stale reported
 *    Fan also true (so the shadow has no delta), the fan actually off: on the
 *    next contact the fan is read, switched on and reported;
 *  - a restart when the shadow has not changed reads nothing again;
 *  - a concurrent cloud-side update between the gateway's read of the shadow
 *    and its versioned write makes the service answer 409; the gateway reads
 *    the shadow again and the retry is accepted.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeviceProfile, Event, validateDeviceProfile } from '@gw/contracts';
import { GatewayError, ErrorKind } from '@gw/contracts';
import { OutboxStore } from '../../apps/app-service/src/outbox';
import { AwsShadowSink } from '../../apps/app-service/src/sinks/aws-shadow-sink';
import type { OutboxRecord, SinkLogger } from '../../apps/app-service/src/sinks/sink';
import { DesiredStateHandler } from '../../apps/app-service/src/twin/desired-state';
import { pollFor } from '../support/poll';
import { AwsShadowEmulator } from './support/aws-shadow-emulator';

jest.setTimeout(30_000);

const RUN = `gwcatch-${randomBytes(4).toString('hex')}`;
const DELIVERY = { batched: true, gzip: false };
const quiet: SinkLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const PROFILE: DeviceProfile = validateDeviceProfile({
  name: 'Fan-Unit',
  deviceResources: [
    { name: 'Fan', properties: { valueType: 'Bool', readWrite: 'RW' } },
    { name: 'Temperature', properties: { valueType: 'Float64', readWrite: 'R' } },
    { name: 'Speed', properties: { valueType: 'Int32', readWrite: 'RW' } },
  ],
});

/** A fan behind core-command: what it holds, and every read and write it gets. */
class FakeFan {
  readonly state: Record<string, string> = { Fan: 'false', Temperature: '21.5', Speed: '0' };
  readonly reads: string[] = [];
  readonly writes: Array<Record<string, string>> = [];
  private gate?: Promise<void>;
  private open?: () => void;
  private readWaiters: Array<() => void> = [];

  /** Holds the next reads until release(); resolves once one is waiting. */
  hold(): Promise<void> {
    this.gate = new Promise((resolve) => (this.open = resolve));
    return new Promise((resolve) => this.readWaiters.push(resolve));
  }

  release(): void {
    this.open?.();
    this.gate = undefined;
  }

  readonly handler = new DesiredStateHandler(
    {
      profileOf: async () => PROFILE,
      get: async (deviceName, command): Promise<Event> => {
        this.reads.push(command);
        for (const wake of this.readWaiters.splice(0)) wake();
        await this.gate;
        const readings = [{ id: randomUUID(), origin: Date.now() * 1e6, deviceName, profileName: PROFILE.name, resourceName: command, valueType: PROFILE.deviceResources.find((r) => r.name === command)!.properties.valueType, value: this.state[command] }];
        return { apiVersion: 'v3', id: randomUUID(), deviceName, profileName: PROFILE.name, sourceName: command, origin: Date.now() * 1e6, readings } as Event;
      },
      set: async (_deviceName, command, values) => {
        if (command === 'Temperature') throw new GatewayError(ErrorKind.NotAllowed, 'resource Temperature is read-only');
        this.writes.push(values);
        Object.assign(this.state, values);
      },
    },
    quiet,
  );
}

/** The version the sink keeps for `thing`, once it has one (set right after the outcome report's reply, which has no event of its own). */
function keptVersion(store: OutboxStore, thing: string): Promise<number> {
  return pollFor(() => store.ackedVersions('shadow').get(thing), `a version kept for ${thing}`, 5_000);
}

let nextId = 1;
function record(key: string, body: unknown): OutboxRecord {
  return { id: nextId++, key, kind: 'reported', body: Buffer.from(JSON.stringify(body)), createdAt: Date.now(), attempts: 0 };
}

describe('AWS shadow desired state reconciled against the device', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-aws-catch-up-'));
  const file = join(dir, 'app-service-outbox.db');
  let emulator: AwsShadowEmulator;
  const open: Array<{ sink: AwsShadowSink; store: OutboxStore }> = [];

  beforeAll(async () => {
    emulator = await AwsShadowEmulator.start({ owns: (thing) => thing.startsWith(RUN) });
  });

  afterAll(async () => {
    for (const { sink, store } of open) {
      await sink.stop();
      store.close();
    }
    await emulator?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The gateway's shadow sink as a (re)started app service opens it: the acknowledged versions from the outbox file. */
  async function startGateway(tag: string, fan: FakeFan): Promise<{ sink: AwsShadowSink; store: OutboxStore }> {
    const store = new OutboxStore(file, { logger: quiet });
    const sink = new AwsShadowSink(
      { name: 'shadow', type: 'aws-shadow', url: 'mqtt://127.0.0.1:1883', clientId: `${RUN}-${tag}-${nextId++}`, tls: { rejectUnauthorized: true }, thingName: `${RUN}-${tag}-{device}` },
      { responseTimeoutMs: 5_000 },
    );
    await sink.start({ logger: quiet, onDesired: (c) => fan.handler.apply(c), versions: store.ackedVersions('shadow') });
    const running = { sink, store };
    open.push(running);
    return running;
  }

  async function stopGateway(running: { sink: AwsShadowSink; store: OutboxStore }): Promise<void> {
    open.splice(open.indexOf(running), 1);
    await running.sink.stop();
    running.store.close();
  }

  it('switches on a fan the stale shadow says is on, after desired Fan=true was set while offline; a restart with nothing new applies nothing again', async () => {
    const thing = `${RUN}-offline-unit1`;
    const fan = new FakeFan();
    fan.state.Fan = 'true';
    let gateway = await startGateway('offline', fan);
    await gateway.sink.deliver([record('unit1', { Fan: true, Temperature: 21.5 })], DELIVERY);
    await emulator.waitForRequest((r) => r.thing === thing && r.op === 'get', 'the first-contact get');
    await stopGateway(gateway);

    // Offline: the fan stops on its own (nobody polls it), and the cloud asks for Fan=true, which the shadow already reports.
    fan.state.Fan = 'false';
    const version = await emulator.setDesired(thing, { Fan: true });
    expect(emulator.getShadow(thing)?.state.delta).toBeUndefined();

    gateway = await startGateway('offline', fan);
    const gets = emulator.count('get', thing);
    const seen = emulator.requests.length;
    await gateway.sink.deliver([record('unit1', { Temperature: 21.6 })], DELIVERY);
    await emulator.waitForRequest(
      (r) => emulator.requests.indexOf(r) >= seen && r.thing === thing && r.op === 'update' && (r.body as any)?.state?.reported?.Fan === true,
      'the outcome report',
    );
    expect(emulator.count('get', thing)).toBe(gets + 1);
    expect(fan.reads).toEqual(['Fan', 'Fan']);
    expect(fan.writes).toEqual([{ Fan: 'true' }]);
    expect(fan.state.Fan).toBe('true');
    // Kept once the outcome report is accepted: the version the shadow has after it.
    const acked = await keptVersion(gateway.store, thing);
    expect(acked).toBeGreaterThan(version);
    await stopGateway(gateway);

    // Restarted with the shadow as the catch-up left it: the kept version says there is nothing to apply.
    expect(emulator.getShadow(thing)?.version).toBe(acked);
    gateway = await startGateway('offline', fan);
    await gateway.sink.deliver([record('unit1', { Temperature: 21.7 })], DELIVERY);
    await emulator.waitForRequest((r) => r.thing === thing && r.op === 'get' && emulator.count('get', thing) === gets + 2, 'the first-contact get after the restart');
    // A reply on the same connection after the get's: once it is in, anything the get started has started.
    await gateway.sink.deliver([record('unit1', { Temperature: 21.8 })], DELIVERY);
    // Nothing is applied again. (The device may be read once more: when the gateway's own report and the get
    // cross, the shadow's version is past the kept one and AWS cannot tell whose change it was — README says so.)
    expect(fan.writes).toEqual([{ Fan: 'true' }]);
    expect(fan.state.Fan).toBe('true');
  });

  it('a cloud update between the gateway reading the shadow and writing the outcome: 409, read again, retry accepted', async () => {
    const thing = `${RUN}-race-unit2`;
    const fan = new FakeFan();
    // Desired while offline: Fan on, and a read-only value the gateway must refuse and remove from desired (a versioned update).
    await emulator.setDesired(thing, { Fan: true, Temperature: 30 });
    const gateway = await startGateway('race', fan);
    const reading = fan.hold();
    await gateway.sink.deliver([record('unit2', { Fan: false })], DELIVERY);
    await reading;
    const readAt = emulator.getShadow(thing)!.version;
    // The cloud moves the shadow on while the gateway is still applying what it read.
    const moved = await emulator.setDesired(thing, { Speed: 2 });
    expect(moved).toBe(readAt + 1);
    fan.release();

    const shadow = await emulator.waitForReported(thing, (r) => r.Fan === true && r.gatewayErrors?.Temperature !== undefined && r.Speed === 2);
    // The gateway's requests (the cloud's own updates are not among them).
    expect(emulator.history(thing).slice(0, 5)).toEqual([
      'update:200', // the first report
      'get:200', // first contact: the catch-up reads desired state
      'update:409', // the outcome at the version read, removing the refused Temperature: the cloud moved the shadow meanwhile
      'get:200', // read again
      'update:200', // the retry at the version read again
    ]);
    const [conflicted, retried] = emulator.requests.filter((r) => r.thing === thing && r.op === 'update' && 'version' in (r.body as object)).slice(-2);
    expect([(conflicted.body as any).version, (retried.body as any).version]).toEqual([readAt, moved]);
    expect(shadow.state.desired).toEqual({ Fan: true, Speed: 2 });
    expect(shadow.state.reported!.gatewayErrors.Temperature).toMatchObject({ status: 405, message: expect.stringMatching(/read-only/) });
    expect(fan.writes).toEqual([{ Fan: 'true' }, { Speed: '2' }]);
  });
});
