import { randomUUID } from 'node:crypto';
import { connectAsync, MqttClient } from 'mqtt';
import { ErrorKind } from '@gw/contracts';
import { createMessageBus, ManagedMessageBus, newEnvelope } from '@gw/messaging';
import { BrokerProcess, startMosquitto } from '@gw/test-support/brokers';
import { describeBusContract, uniqueBase, uniqueName } from './bus-contract';
import { Collector, pollUntil, Received, within } from './helpers';

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
  }));

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
