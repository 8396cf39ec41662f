import { randomUUID } from 'node:crypto';
import { connect, connectAsync, IPublishPacket, MqttClient, Packet } from 'mqtt';
import { ErrorKind } from '@gw/contracts';
import { createMessageBus, ManagedMessageBus, newEnvelope } from '@gw/messaging';
import { ACK_LATER, sendPuback } from '@gw/messaging/mqtt/manual-puback';
import { BrokerProcess, startMosquitto } from '@gw/test-support/brokers';
import { describeBusContract, uniqueBase, uniqueName } from './bus-contract';
import { Collector, HeldHandler, pollUntil, quietPeriod, Received, tcpRelay, within } from './helpers';

jest.setTimeout(60_000);

// The machine's Mosquitto for the contract; a private one (unlimited queue) where
// 10,000 messages must wait for an absent subscriber and where we restart the broker.
const MACHINE_BROKER = process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883';

describe('MQTT bus', () => {
  let privateBroker: BrokerProcess;
  let raw: MqttClient;
  const bus = async (url: string, extra: Record<string, unknown> = {}): Promise<ManagedMessageBus> => {
    // Sessions expire on their own should a failing test skip deleteDurable on the shared broker.
    const clientId = `gwt-${randomUUID().slice(0, 8)}`;
    const b = createMessageBus({ type: 'mqtt', url, clientId, reconnectPeriodMs: 200, sessionExpirySec: 300, ...extra });
    await b.connect();
    return b;
  };

  beforeAll(async () => {
    privateBroker = await startMosquitto({ maxQueuedMessages: 0 });
    raw = await connectAsync(MACHINE_BROKER, { protocolVersion: 5 });
  });

  afterAll(async () => {
    await raw?.endAsync();
    await privateBroker?.dispose();
  });

  describeBusContract('mqtt', () => ({
    newBus: () => bus(MACHINE_BROKER),
    newDurableBus: () => bus(privateBroker.url),
    injectRaw: async (topic, data) => {
      await raw.publishAsync(topic, data, { qos: 1 });
    },
    crashableBus: async () => {
      const relay = await tcpRelay(privateBroker.url);
      return { bus: await bus(relay.url), crash: () => relay.cut() };
    },
    droppableBus: async () => {
      const relay = await tcpRelay(MACHINE_BROKER);
      return { bus: await bus(relay.url), drop: () => relay.drop() };
    },
  }));

  describe('durable subscriber and mqtt.js', () => {
    // What manual-puback.ts relies on in mqtt.js (pinned at 5.16.0): this fails should an upgrade change it.
    it('mqtt.js internals: handleMessage calling back with an error sends no PUBACK and reads on; _sendPacket sends ours', async () => {
      const b = uniqueBase();
      const clientId = uniqueName('pin');
      const options = { protocolVersion: 5 as const, clientId, clean: false, properties: { sessionExpiryInterval: 300 } };
      const client = await connectAsync(privateBroker.url, options);
      const got: IPublishPacket[] = [];
      const sent: Packet[] = [];
      let more: () => void = () => undefined;
      client.handleMessage = (packet, done) => {
        got.push(packet);
        more();
        done(ACK_LATER);
      };
      client.on('packetsend', (packet: Packet) => sent.push(packet));
      await client.subscribeAsync(`${b}/#`, { qos: 1 });
      const pub = await connectAsync(privateBroker.url, { protocolVersion: 5 });
      try {
        for (const n of [1, 2, 3]) await pub.publishAsync(`${b}/t`, String(n), { qos: 1 });
        // All three read while none is acknowledged.
        await new Promise<void>((resolve) => (more = () => got.length === 3 && resolve()));
        expect(sent.filter((p) => p.cmd === 'puback')).toEqual([]);

        sendPuback(client, got[1].messageId as number);
        // A SUBACK after it: the broker has processed our PUBACK by then.
        await client.subscribeAsync(`${b}/other`, { qos: 1 });
        expect(sent.filter((p) => p.cmd === 'puback')).toEqual([expect.objectContaining({ messageId: got[1].messageId })]);
        await client.endAsync(true);

        // Back with the same session: the broker sends again what was not acknowledged, and only that.
        const back = connect(privateBroker.url, { ...options, manualConnect: true });
        const again: string[] = [];
        const both = new Promise<void>((resolve) => {
          back.handleMessage = (packet, done) => {
            again.push(packet.payload.toString());
            done();
            if (again.length === 2) resolve();
          };
        });
        back.connect();
        await within(both, 5_000, 'the two unacknowledged messages');
        expect(again).toEqual(['1', '3']);
        await back.endAsync();
      } finally {
        client.end(true);
        await pub.endAsync();
        const discard = await connectAsync(privateBroker.url, { ...options, clean: true, properties: { sessionExpiryInterval: 0 } });
        await discard.endAsync();
      }
    });

    it("gets maxInFlight messages in hand beyond Mosquitto's max_inflight_messages (the MQTT 5 Receive Maximum it asks for)", async () => {
      // Mosquitto's own limit (max_inflight_messages, 20 here) bounds only clients that ask for none.
      const b = uniqueBase();
      const name = uniqueName('window');
      const [pub, sub] = [await bus(privateBroker.url), await bus(privateBroker.url)];
      const held = new HeldHandler();
      const subscription = await sub.subscribe(`${b}/events/#`, held.handler, { durable: name, maxInFlight: 50 });
      try {
        await Promise.all(Array.from({ length: 60 }, (_, i) => pub.publish(`${b}/events/x`, newEnvelope({ i }))));
        await held.count(50);
        await quietPeriod();
        expect(held.seen).toEqual([...Array(50).keys()]);
        held.letGo();
        await held.count(60);
      } finally {
        held.letGo();
        await subscription.unsubscribe();
        await sub.deleteDurable(name);
        await Promise.all([pub.close(), sub.close()]);
      }
    });

    describe('with 100,000 messages waiting', () => {
      let broker: BrokerProcess;
      beforeAll(async () => {
        broker = await startMosquitto({ maxQueuedMessages: 0 });
      });
      afterAll(async () => {
        await broker?.dispose();
      });

      it('subscribes on the first try and drains them all, the handler committing every 2 ms', async () => {
        const b = uniqueBase();
        const name = uniqueName('backlog');
        const total = 100_000;
        const filter = `${b}/events/device/#`;
        const before = await bus(broker.url);
        await (await before.subscribe(filter, () => undefined, { durable: name })).unsubscribe();
        await before.close();

        // Published as a device service would while core-data is away.
        const client = await connectAsync(broker.url, { protocolVersion: 5 });
        const body = (i: number) => JSON.stringify(newEnvelope({ i }));
        let next = 0;
        const sendAll = async () => {
          while (next < total) {
            const i = next++;
            await client.publishAsync(`${b}/events/device/svc/prof/dev/src`, body(i), { qos: 1 });
          }
        };
        // 20 at a time, the broker's window for publishers here.
        await within(Promise.all(Array.from({ length: 20 }, sendAll)), 120_000, `publishing ${total} messages`);
        await client.endAsync();

        // A handler that resolves what it holds on a 2 ms "group commit".
        const seen = new Uint8Array(total);
        let distinct = 0;
        const commit: Array<() => void> = [];
        const timer = setInterval(() => {
          for (const resolve of commit.splice(0)) resolve();
        }, 2);
        let drained!: () => void;
        const all = new Promise<void>((resolve) => (drained = resolve));
        const handler = (envelope: { payload: unknown }) => {
          const { i } = envelope.payload as { i: number };
          if (!seen[i]) {
            seen[i] = 1;
            if (++distinct === total) drained();
          }
          return new Promise<void>((resolve) => commit.push(resolve));
        };
        // The default 10 s subscribe timeout is what failed before: here 3 s.
        const after = await bus(broker.url, { operationTimeoutMs: 3_000 });
        try {
          const subscription = await after.subscribe(filter, handler, { durable: name, maxInFlight: 1_000 });
          await within(all, 120_000, `draining ${total} messages`);
          await subscription.unsubscribe();
          expect(after.stats().dropped).toBe(0);
          expect(after.stats().acknowledged).toBeGreaterThanOrEqual(total);
        } finally {
          clearInterval(timer);
          for (const resolve of commit.splice(0)) resolve();
          await after.deleteDurable(name).catch(() => undefined);
          await after.close();
        }
      });
    });
  });

  describe('broker restart', () => {
    let broker: BrokerProcess;
    const open: ManagedMessageBus[] = [];
    beforeEach(async () => {
      broker = await startMosquitto();
    });
    afterEach(async () => {
      await Promise.all(open.splice(0).map((b) => b.close()));
      await broker.dispose();
    });

    it('reconnects, resubscribes, and sends what was published during the outage', async () => {
      const b = uniqueBase();
      const durableName = uniqueName('restart');
      const [pub, sub] = [await bus(broker.url), await bus(broker.url)];
      open.push(pub, sub);
      const plain = new Collector();
      const durable = new Collector();
      await sub.subscribe(`${b}/#`, plain.handler);
      await sub.subscribe(`${b}/events/#`, durable.handler, { durable: durableName });

      await broker.stop();
      await pollUntil(() => !pub.connected && !sub.connected, 'both buses to notice the outage');
      // Queued by the bus, not lost: it resolves once the broker is back and has acknowledged it.
      const duringOutage = pub.publish(`${b}/events/outage`, newEnvelope({ during: 'outage' }));
      await broker.start();
      await within(duringOutage, 15_000, 'the publish made during the outage');

      // The persistent session survived the (graceful) restart: the durable subscriber gets it.
      const outage = (r: Received[]) => r.some((m) => (m.envelope.payload as { during?: string }).during === 'outage');
      await durable.until(outage, 'the outage message on the durable subscriber');
      // The plain subscription comes back with mqtt.js's resubscribe; nothing announces it, so probe.
      let probe = 0;
      await pollUntil(async () => {
        await pub.publish(`${b}/probe`, newEnvelope({ probe: ++probe }));
        return plain.received.some((m) => m.topic === `${b}/probe`);
      }, 'a probe on the plain subscription after the restart');
      expect(pub.stats().reconnects).toBeGreaterThanOrEqual(1);
      expect(sub.stats().reconnects).toBeGreaterThanOrEqual(1);
      await sub.deleteDurable(durableName);
    });

    it('closes promptly during an outage, failing what is still pending', async () => {
      const b = uniqueBase();
      const x = await bus(broker.url);
      const got = new Collector();
      await x.subscribe(`${b}/events/#`, got.handler, { durable: uniqueName('closing') });
      await x.subscribe(`${b}/#`, got.handler);
      await broker.stop();
      await pollUntil(() => !x.connected, 'the bus to notice the outage');
      const pending = x.publish(`${b}/events/never`, newEnvelope({}));
      await within(x.close(), 3_000, 'close() during an outage');
      await expect(pending).rejects.toMatchObject({ kind: ErrorKind.Communication });
    });

    it('refuses publishes beyond publishQueueLimit during an outage with a Communication error', async () => {
      const b = uniqueBase();
      const pub = await bus(broker.url, { publishQueueLimit: 5 });
      open.push(pub);
      await broker.stop();
      await pollUntil(() => !pub.connected, 'the bus to notice the outage');
      const queued = Array.from({ length: 5 }, (_, i) => pub.publish(`${b}/q`, newEnvelope({ i })));
      await expect(pub.publish(`${b}/q`, newEnvelope({ i: 5 }))).rejects.toMatchObject({ kind: ErrorKind.Communication });
      await broker.start();
      await within(Promise.all(queued), 15_000, 'the 5 queued publishes');
    });
  });

  it('connect() fails with a Communication error when no broker answers', async () => {
    const b = createMessageBus({ type: 'mqtt', url: 'mqtt://127.0.0.1:1', connectTimeoutMs: 500, reconnectPeriodMs: 100 });
    await expect(b.connect()).rejects.toMatchObject({ kind: ErrorKind.Communication });
  });
});
