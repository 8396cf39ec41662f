import { createMessageBus, ManagedMessageBus, MemoryBroker, MemoryMessageBus, newEnvelope } from '@gw/messaging';
import { describeBusContract, uniqueBase, uniqueName } from './bus-contract';
import { Collector } from './helpers';

describe('in-process bus', () => {
  let broker = new MemoryBroker();
  beforeEach(() => {
    broker = new MemoryBroker();
  });

  const connected = async (deliveryQueueLimit?: number): Promise<ManagedMessageBus> => {
    const bus = createMessageBus({ type: 'memory', broker, deliveryQueueLimit });
    await bus.connect();
    return bus;
  };

  describeBusContract('memory', () => ({
    newBus: () => connected(),
    newDurableBus: () => connected(),
    injectRaw: async (topic, data) => broker.publishRaw(topic, data),
    crashableBus: async () => {
      const bus = new MemoryMessageBus({ broker });
      await bus.connect();
      return { bus, crash: async () => bus.crash() };
    },
  }));

  it('never runs a handler inside publish()', async () => {
    const bus = await connected();
    const b = uniqueBase();
    let inPublish = false;
    let calledDuringPublish = false;
    const got = new Collector();
    await bus.subscribe(`${b}/t`, (env, topic) => {
      calledDuringPublish ||= inPublish;
      return got.handler(env, topic);
    });
    inPublish = true;
    const published = bus.publish(`${b}/t`, newEnvelope({}));
    inPublish = false;
    await published;
    await got.count(1);
    expect(calledDuringPublish).toBe(false);
    await bus.close();
  });

  it('bounds an absent durable subscriber queue, dropping and counting the oldest', async () => {
    const bus = await connected(100);
    const b = uniqueBase();
    const name = uniqueName('bounded');
    await (await bus.subscribe(`${b}/#`, () => undefined, { durable: name })).unsubscribe();
    for (let i = 0; i < 150; i++) await bus.publish(`${b}/t`, newEnvelope({ i }));
    const got = new Collector();
    await bus.subscribe(`${b}/#`, got.handler, { durable: name });
    await got.count(100);
    expect(got.payloads<{ i: number }>().map((p) => p.i)).toEqual(Array.from({ length: 100 }, (_, k) => k + 50));
    expect(bus.stats().dropped).toBe(50);
    await bus.deleteDurable(name);
    await bus.close();
  });

  it('a deleted durable subscriber starts afresh', async () => {
    const bus = await connected();
    const b = uniqueBase();
    const name = uniqueName('deleted');
    await (await bus.subscribe(`${b}/#`, () => undefined, { durable: name })).unsubscribe();
    await bus.publish(`${b}/t`, newEnvelope({ old: true }));
    await bus.deleteDurable(name);
    const got = new Collector();
    await bus.subscribe(`${b}/#`, got.handler, { durable: name });
    await bus.publish(`${b}/t`, newEnvelope({ old: false }));
    await got.count(1);
    expect(got.payloads()).toEqual([{ old: false }]);
    await bus.close();
  });

  it('buses without an explicit broker meet on the process-wide one', async () => {
    const a = createMessageBus({ type: 'memory' });
    const c = createMessageBus({ type: 'memory' });
    await a.connect();
    await c.connect();
    const b = uniqueBase();
    const got = new Collector();
    await c.subscribe(`${b}/x`, got.handler);
    await a.publish(`${b}/x`, newEnvelope({ hello: 1 }));
    await got.count(1);
    await Promise.all([a.close(), c.close()]);
  });

  it('refuses publish before connect()', async () => {
    const bus = createMessageBus({ type: 'memory', broker });
    await expect(bus.publish('a/b', newEnvelope({}))).rejects.toMatchObject({ kind: 'CommunicationError' });
  });
});
