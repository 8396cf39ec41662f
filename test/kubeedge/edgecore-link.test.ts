/**
 * The mapper's link to edgecore (registration, re-registration, edgecore's
 * rate limit) against the fake edgecore on a unix socket in a temp dir.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '@gw/contracts';
import type { MapperLogger, MapperRegisterResponse } from '@gw/kubeedge-dmi';
import { CallBudget, MAPPER_DMI_BUDGET } from '../../libs/kubeedge-dmi/src/call-budget';
import { grpc } from '../../libs/kubeedge-dmi/src/dmi-proto';
import { EdgecoreLink } from '../../libs/kubeedge-dmi/src/edgecore-link';
import { FakeEdgecore } from './fake-edgecore';

/** A logger whose messages can be awaited. */
function recordingLogger(): MapperLogger & { messages: string[]; next(pattern: RegExp): Promise<string> } {
  const events = new EventEmitter();
  const messages: string[] = [];
  const log = (_obj: Record<string, unknown>, msg: string) => {
    messages.push(msg);
    events.emit('message', msg);
  };
  return {
    messages,
    debug: log,
    info: log,
    warn: log,
    error: log,
    next: (pattern) =>
      new Promise((resolve) => {
        const listener = (msg: string) => {
          if (!pattern.test(msg)) return;
          events.off('message', listener);
          resolve(msg);
        };
        events.on('message', listener);
      }),
  };
}

const mapper = { name: 'device-virtual', version: '1', api_version: 'v1.0.0', protocol: 'virtual', address: Buffer.from('/tmp/none.sock'), state: 'ok' };

describe("the mapper's link to edgecore", () => {
  let dir: string;
  let socket: string;
  const cleanup: Array<() => Promise<unknown>> = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gw-edgecore-link-'));
    socket = join(dir, 'dmi.sock');
  });

  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
    rmSync(dir, { recursive: true, force: true });
  });

  const startLink = (onRegistered: (response: MapperRegisterResponse) => Promise<void>, logger: MapperLogger, limit = MAPPER_DMI_BUDGET) => {
    const link = new EdgecoreLink(
      grpc,
      { dmiSocket: socket, mapper, retry: { initialMs: 20, maxMs: 200 }, callTimeoutMs: 2_000 },
      onRegistered,
      logger,
      systemClock,
      new CallBudget(limit, systemClock),
    );
    cleanup.push(() => link.close());
    link.start();
    return link;
  };

  it('registers with the edgecore that comes back when edgecore went away while its answer was being applied', async () => {
    let edgecore = await FakeEdgecore.start(socket);
    cleanup.push(() => edgecore.stop());
    const logger = recordingLogger();
    // core-metadata unreachable: the first applications of edgecore's answer fail.
    let applies = 0;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let applying!: () => void;
    const firstApply = new Promise<void>((resolve) => (applying = resolve));
    const link = startLink(async () => {
      applies++;
      if (applies === 1) {
        applying();
        await held;
      }
      if (applies <= 3) throw new Error('core-metadata is unreachable');
    }, logger);
    await firstApply;
    const dropped = logger.next(/connection to edgecore dropped/);
    await edgecore.stop();
    await dropped;
    edgecore = await FakeEdgecore.start(socket);
    release();
    const registration = await edgecore.waitFor('register');
    expect(registration.mapper.name).toBe('device-virtual');
    await link.registered();
    await expect(link.reportStates({ deviceName: 'b', deviceNamespace: 'default', state: 'online' })).resolves.toBeUndefined();
  });

  it('does not take a connection left idle for 30 minutes for edgecore going away', async () => {
    // grpc-js puts a channel without calls IDLE after 30 min (its default client_idle_timeout_ms).
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'hrtime', 'performance'] });
    try {
      const edgecore = await FakeEdgecore.start(socket);
      cleanup.push(() => edgecore.stop());
      const logger = recordingLogger();
      const link = startLink(async () => undefined, logger);
      await edgecore.waitFor('register');
      await link.registered();
      jest.advanceTimersByTime(31 * 60_000);
      for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve));
      expect(logger.messages.filter((m) => /dropped/.test(m))).toEqual([]);
      expect(link.registrationCount).toBe(1);
    } finally {
      jest.useRealTimers();
    }
  });

  it("stays within edgecore's rate limit, state reports before twin reports", async () => {
    const limit = { perSecond: 5, burst: 3 };
    const edgecore = await FakeEdgecore.start(socket, undefined, limit);
    cleanup.push(() => edgecore.stop());
    const link = startLink(async () => undefined, recordingLogger(), { perSecond: 0.95 * limit.perSecond, burst: limit.burst });
    await link.registered();
    // The registration took one token: 2 left. Twins queue up first, then a state.
    const twin = (n: number) => link.reportStatus({ deviceName: `t${n}`, deviceNamespace: 'default', reportedDevice: { twins: [{ propertyName: 'p', reported: { value: String(n) }, observedDesired: { value: '' } }] } });
    const twins = [1, 2, 3, 4, 5].map(twin);
    const state = link.reportStates({ deviceName: 's', deviceNamespace: 'default', state: 'offline' });
    await Promise.all([...twins, state]);
    expect(edgecore.refused).toEqual({ register: 0, status: 0, states: 0 });
    // The state went before the twins still waiting for a token.
    expect(edgecore.calls).toEqual(['register', 'status', 'status', 'states', 'status', 'status', 'status']);
    expect(edgecore.statusReports.map((r) => r.deviceName)).toEqual(['t1', 't2', 't3', 't4', 't5']);
  });
});
