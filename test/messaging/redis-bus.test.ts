import { randomUUID } from 'node:crypto';
import { getEventListeners } from 'node:events';
import net from 'node:net';
import { ErrorKind } from '@gw/contracts';
import { createMessageBus, ManagedMessageBus, newEnvelope } from '@gw/messaging';
import { BrokerProcess, freePort, startRedis } from '@gw/test-support/brokers';
import { deleteRedisKeys, RawRedis, rawRedis } from '@gw/test-support/redis';
import { describeBusContract, uniqueBase, uniqueName } from './bus-contract';
import { Collector, pollUntil, Received, tcpRelay, within } from './helpers';

jest.setTimeout(60_000);

const MACHINE_REDIS = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
// Every key this run creates on the shared Redis lives under this prefix and is deleted afterwards.
const keyPrefix = `gwtest:${randomUUID().slice(0, 8)}:`;

describe('Redis bus', () => {
  let raw: RawRedis;
  // Closed after each test, passed or failed, so a failure cannot leave a connection holding Jest open.
  const opened: ManagedMessageBus[] = [];
  const unconnected = (url: string, extra: Record<string, unknown> = {}): ManagedMessageBus => {
    const b = createMessageBus({ type: 'redis', url, keyPrefix, reconnectPeriodMs: 200, ...extra });
    opened.push(b);
    return b;
  };
  const bus = async (url: string, extra: Record<string, unknown> = {}): Promise<ManagedMessageBus> => {
    const b = unconnected(url, extra);
    await b.connect();
    return b;
  };

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((b) => b.close()));
  });

  beforeAll(async () => {
    raw = await rawRedis(MACHINE_REDIS);
  });

  afterAll(async () => {
    raw?.destroy();
    await deleteRedisKeys(MACHINE_REDIS, keyPrefix);
  });

  describeBusContract('redis', () => ({
    newBus: () => bus(MACHINE_REDIS),
    newDurableBus: () => bus(MACHINE_REDIS),
    // A foreign producer that writes both ways, as the bus does for event topics.
    injectRaw: async (topic, data) => {
      const [first, second] = topic.split('/');
      if (second === 'events') await raw.xAdd(`${keyPrefix}stream:${first}/${second}`, '*', { t: topic, d: data });
      await raw.publish(topic, data);
    },
    crashableBus: async () => {
      const relay = await tcpRelay(MACHINE_REDIS);
      return { bus: await bus(relay.url), crash: () => relay.cut() };
    },
    droppableBus: async () => {
      const relay = await tcpRelay(MACHINE_REDIS);
      return { bus: await bus(relay.url), drop: () => relay.drop() };
    },
  }));

  it('skips a stream entry without topic/data fields and delivers the next one', async () => {
    const b = uniqueBase();
    const name = uniqueName('fields');
    const sub = await bus(MACHINE_REDIS);
    const got = new Collector();
    await sub.subscribe(`${b}/events/#`, got.handler, { durable: name });
    await raw.xAdd(`${keyPrefix}stream:${b}/events`, '*', { unexpected: 'shape' });
    await sub.publish(`${b}/events/x`, newEnvelope({ ok: true }));
    await got.count(1);
    expect(got.payloads()).toEqual([{ ok: true }]);
    expect(sub.stats().malformed).toBe(1);
    await sub.deleteDurable(name);
    await sub.close();
  });

  it('refuses a durable filter that no stream carries', async () => {
    const b = uniqueBase();
    const sub = await bus(MACHINE_REDIS);
    await expect(sub.subscribe(`${b}/device/command/#`, () => undefined, { durable: uniqueName('x') })).rejects.toMatchObject({
      kind: ErrorKind.ContractInvalid,
    });
    await expect(sub.subscribe(`+/events/#`, () => undefined, { durable: uniqueName('x') })).rejects.toMatchObject({
      kind: ErrorKind.ContractInvalid,
    });
    await sub.close();
  });

  it('does not deliver again what a durable subscriber handled before an orderly unsubscribe', async () => {
    const b = uniqueBase();
    const name = uniqueName('acked');
    const x = await bus(MACHINE_REDIS);
    const first = new Collector();
    const away = await x.subscribe(`${b}/events/#`, first.handler, { durable: name });
    await Promise.all(Array.from({ length: 50 }, (_, i) => x.publish(`${b}/events/e`, newEnvelope({ i }))));
    await first.count(50);
    // The last batch's XACK is still to be sent when the handler has seen the 50th event.
    await away.unsubscribe();

    const second = new Collector();
    await x.subscribe(`${b}/events/#`, second.handler, { durable: name });
    await x.publish(`${b}/events/e`, newEnvelope({ i: 'after' }));
    await second.count(1);
    expect(second.payloads()).toEqual([{ i: 'after' }]);
    await x.deleteDurable(name);
  });

  it('counts pending entries that MAXLEN trimmed away as dropped and goes on with the next', async () => {
    const b = uniqueBase();
    const name = uniqueName('trimmed');
    const key = `${keyPrefix}stream:${b}/events`;
    // Delivered to the group but never acknowledged (its subscriber crashed), then trimmed off the stream.
    await raw.xGroupCreate(key, name, '$', { MKSTREAM: true });
    for (const n of [1, 2]) await raw.xAdd(key, '*', { t: `${b}/events/x`, d: JSON.stringify(newEnvelope({ n })) });
    await raw.xReadGroup(name, name, { key, id: '>' });
    await raw.xTrim(key, 'MAXLEN', 0);

    const sub = await bus(MACHINE_REDIS);
    const got = new Collector();
    await sub.subscribe(`${b}/events/#`, got.handler, { durable: name });
    await sub.publish(`${b}/events/x`, newEnvelope({ n: 3 }));
    await got.count(1);
    expect(got.payloads()).toEqual([{ n: 3 }]);
    expect(sub.stats().dropped).toBe(2);
    await sub.deleteDurable(name);
  });

  it('deletes a durable subscriber whose stream was removed meanwhile', async () => {
    const b = uniqueBase();
    const name = uniqueName('gone');
    const x = await bus(MACHINE_REDIS);
    const first = await x.subscribe(`${b}/events/#`, () => undefined, { durable: name });
    await first.unsubscribe();
    await raw.del(`${keyPrefix}stream:${b}/events`);
    await x.deleteDurable(name);
    expect(await raw.hExists(`${keyPrefix}durables`, name)).toBe(0);
  });

  /**
   * Watches the sockets node-redis opens (net.createConnection) and the abort
   * signal each connection hands them, until `n` have been asked for.
   */
  function socketAttempts(n: number): { done: Promise<void>; signals: Set<AbortSignal>; restore: () => void } {
    const original = net.createConnection.bind(net);
    const signals = new Set<AbortSignal>();
    let count = 0;
    let reached: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (reached = resolve));
    const spy = jest.spyOn(net, 'createConnection').mockImplementation(((options: net.NetConnectOpts) => {
      if (options.signal) signals.add(options.signal);
      if (++count === n) reached();
      return original(options);
    }) as typeof net.createConnection);
    return { done, signals, restore: () => spy.mockRestore() };
  }

  /** Abort listeners per connection: each holds its socket until the signal fires. */
  const abortListeners = (signals: Set<AbortSignal>) => [...signals].map((s) => getEventListeners(s, 'abort').length);

  describe('connecting', () => {
    it('fails within connectTimeoutMs when nothing listens, naming the URL without its password', async () => {
      const port = await freePort();
      const url = `redis://gw:s3cret@127.0.0.1:${port}`;
      const b = unconnected(url, { connectTimeoutMs: 500, reconnectPeriodMs: 100 });
      const started = Date.now();
      const err = await b.connect().then(
        () => undefined,
        (e: Error) => e,
      );
      expect(Date.now() - started).toBeLessThan(1_500);
      expect(err).toMatchObject({ kind: ErrorKind.Communication });
      expect(err?.message).toContain(`no connection to redis://gw:***@127.0.0.1:${port} within 500 ms`);
      expect(err?.message).toContain('ECONNREFUSED');
      expect(err?.message).not.toContain('s3cret');
      expect(b.connected).toBe(false);
    });

    it('fails at once, not at the deadline, when Redis refuses the credentials', async () => {
      const b = unconnected(MACHINE_REDIS, { username: 'gw-nobody', password: 'wrong', connectTimeoutMs: 20_000 });
      const err = await within(b.connect(), 5_000, 'connect() with wrong credentials').then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err).toMatchObject({ kind: ErrorKind.Communication });
      expect(err?.message).toMatch(/refused the connection: WRONGPASS/);
      expect(err?.message).not.toContain('wrong');
    });
  });

  describe('Redis restart', () => {
    let server: BrokerProcess;
    const open: ManagedMessageBus[] = [];
    afterEach(async () => {
      await Promise.all(open.splice(0).map((b) => b.close()));
      await server.dispose();
    });

    for (const appendOnly of [true, false]) {
      it(`reconnects and resumes plain and durable delivery (${appendOnly ? 'with AOF' : 'no persistence: group recreated'})`, async () => {
        server = await startRedis({ appendOnly });
        const b = uniqueBase();
        const [pub, sub] = [await bus(server.url), await bus(server.url)];
        open.push(pub, sub);
        const plain = new Collector();
        const durable = new Collector();
        await sub.subscribe(`${b}/#`, plain.handler);
        await sub.subscribe(`${b}/events/#`, durable.handler, { durable: uniqueName('restart') });
        await pub.publish(`${b}/events/before`, newEnvelope({ n: 'before' }));
        await durable.count(1);

        await server.stop();
        await pollUntil(() => !pub.connected && !sub.connected, 'both buses to notice the outage');
        // Waits in the bus's bounded queue and goes out after the restart.
        const duringOutage = pub.publish(`${b}/events/outage`, newEnvelope({ n: 'outage' }));
        await server.start();
        await within(duringOutage, 15_000, 'the publish made during the outage');

        const outage = (r: Received[]) => r.some((m) => (m.envelope.payload as { n: string }).n === 'outage');
        await durable.until(outage, 'the outage event on the durable subscriber');
        let probe = 0;
        await pollUntil(async () => {
          await pub.publish(`${b}/probe`, newEnvelope({ probe: ++probe }));
          return plain.received.some((m) => m.topic === `${b}/probe`);
        }, 'a probe on the plain subscription after the restart');
        expect(pub.stats().reconnects).toBeGreaterThanOrEqual(1);
      });
    }

    it('sends a publish again when its connection drops before Redis answered', async () => {
      server = await startRedis();
      const b = uniqueBase();
      const clientId = uniqueName('inflight');
      const [pub, sub] = [await bus(server.url, { clientId }), await bus(server.url)];
      open.push(pub, sub);
      const got = new Collector();
      await sub.subscribe(`${b}/events/#`, got.handler, { durable: uniqueName('inflight') });
      const admin = await rawRedis(server.url);
      try {
        // Holds the XADD unanswered on the bus's command connection, then cuts that connection.
        await admin.sendCommand(['CLIENT', 'PAUSE', '30000', 'WRITE']);
        const sent = pub.publish(`${b}/events/x`, newEnvelope({ n: 1 }));
        let id: string | undefined;
        await pollUntil(async () => {
          const list = String(await admin.sendCommand(['CLIENT', 'LIST']));
          id = /id=(\d+) .*cmd=xadd/.exec(list.split('\n').find((l) => l.includes(` name=${clientId}:cmd `)) ?? '')?.[1];
          return id !== undefined;
        }, 'the XADD to reach Redis');
        await admin.sendCommand(['CLIENT', 'KILL', 'ID', id as string]);
        await admin.sendCommand(['CLIENT', 'UNPAUSE']);
        await within(sent, 15_000, 'the publish cut off in flight');
        await got.count(1);
        expect(got.payloads()).toEqual([{ n: 1 }]);
        expect(await admin.xLen(`${keyPrefix}stream:${b}/events`)).toBe(1);
        expect(pub.stats().reconnects).toBe(1);
      } finally {
        admin.destroy();
      }
    });

    it('closes promptly during an outage, failing what is still pending', async () => {
      server = await startRedis();
      const b = uniqueBase();
      const x = await bus(server.url);
      const got = new Collector();
      await x.subscribe(`${b}/events/#`, got.handler, { durable: uniqueName('closing') });
      await x.subscribe(`${b}/#`, got.handler);
      await server.stop();
      await pollUntil(() => !x.connected, 'the bus to notice the outage');
      const pending = x.publish(`${b}/events/never`, newEnvelope({}));
      await within(x.close(), 3_000, 'close() during an outage');
      await expect(pending).rejects.toMatchObject({ kind: ErrorKind.Communication });
    });

    // Each attempt's socket adds an abort listener that Node 20 keeps, and the socket with it, until
    // the signal fires: at one attempt a second, 3,600 dead sockets an hour per connection.
    describe('connection attempts leave nothing behind once Redis is back (40 attempts, commands and Pub/Sub)', () => {
      it('while connect() waits for Redis', async () => {
        server = await startRedis();
        await server.stop(); // its port, where nothing listens until it starts again
        const b = unconnected(server.url, { connectTimeoutMs: 60_000, reconnectPeriodMs: 5 });
        const attempts = socketAttempts(40);
        try {
          const connecting = b.connect();
          await within(attempts.done, 20_000, '40 connection attempts');
          await server.start();
          await within(connecting, 15_000, 'connect() once Redis is up');
        } finally {
          attempts.restore();
        }
        expect(abortListeners(attempts.signals)).toEqual([0, 0]);
      });

      it('during an outage', async () => {
        server = await startRedis();
        const b = await bus(server.url, { reconnectPeriodMs: 5 });
        await b.subscribe(`${uniqueBase()}/#`, () => undefined);
        const attempts = socketAttempts(40);
        try {
          await server.stop();
          await within(attempts.done, 20_000, '40 reconnection attempts');
          await server.start();
          await pollUntil(() => b.connected, 'the bus to reconnect');
        } finally {
          attempts.restore();
        }
        expect(abortListeners(attempts.signals)).toEqual([0, 0]);
        await expect(b.publish(`${uniqueBase()}/x`, newEnvelope({}))).resolves.toBeUndefined();
      });
    });

    it('refuses publishes beyond publishQueueLimit during an outage with a Communication error', async () => {
      server = await startRedis();
      const b = uniqueBase();
      const pub = await bus(server.url, { publishQueueLimit: 5 });
      open.push(pub);
      await server.stop();
      await pollUntil(() => !pub.connected, 'the bus to notice the outage');
      const queued = Array.from({ length: 5 }, (_, i) => pub.publish(`${b}/events/q`, newEnvelope({ i })));
      await expect(pub.publish(`${b}/events/q`, newEnvelope({ i: 5 }))).rejects.toMatchObject({ kind: ErrorKind.Communication });
      await server.start();
      await within(Promise.all(queued), 15_000, 'the 5 queued publishes');
    });
  });
});
