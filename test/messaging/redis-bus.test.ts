import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { ErrorKind } from '@gw/contracts';
import { createMessageBus, ManagedMessageBus, newEnvelope } from '@gw/messaging';
import { BrokerProcess, startRedis } from '@gw/test-support/brokers';
import { describeBusContract, uniqueBase, uniqueName } from './bus-contract';
import { Collector, pollUntil, Received, within } from './helpers';

jest.setTimeout(60_000);

const MACHINE_REDIS = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
// Every key this run creates on the shared Redis lives under this prefix and is deleted afterwards.
const keyPrefix = `gwtest:${randomUUID().slice(0, 8)}:`;

describe('Redis bus', () => {
  let raw: Redis;
  const bus = async (url: string, extra: Record<string, unknown> = {}): Promise<ManagedMessageBus> => {
    const b = createMessageBus({ type: 'redis', url, keyPrefix, reconnectPeriodMs: 200, ...extra });
    await b.connect();
    return b;
  };

  beforeAll(async () => {
    raw = new Redis(MACHINE_REDIS);
  });

  afterAll(async () => {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await raw.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    if (keys.length) await raw.del(...keys);
    await raw.quit();
  });

  describeBusContract('redis', () => ({
    newBus: () => bus(MACHINE_REDIS),
    newDurableBus: () => bus(MACHINE_REDIS),
    // A foreign producer that writes both ways, as the bus does for event topics.
    injectRaw: async (topic, data) => {
      const [first, second] = topic.split('/');
      if (second === 'events') await raw.xadd(`${keyPrefix}stream:${first}/${second}`, '*', 't', topic, 'd', data);
      await raw.publish(topic, data);
    },
  }));

  it('skips a stream entry without topic/data fields and delivers the next one', async () => {
    const b = uniqueBase();
    const name = uniqueName('fields');
    const sub = await bus(MACHINE_REDIS);
    const got = new Collector();
    await sub.subscribe(`${b}/events/#`, got.handler, { durable: name });
    await raw.xadd(`${keyPrefix}stream:${b}/events`, '*', 'unexpected', 'shape');
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
