import { randomUUID } from 'node:crypto';
import { ErrorKind, GatewayError } from '@gw/contracts';
import { createMessageBus, encodeEnvelope, ManagedMessageBus, MessageEnvelope, newEnvelope } from '@gw/messaging';
import { publishPacketBytes } from '@gw/messaging/mqtt/packet-size';
import { BrokerProcess, startMosquitto, startRedis } from '@gw/test-support/brokers';
import { Collector, within } from './helpers';

jest.setTimeout(60_000);

const MACHINE_BROKER = process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const TOPIC = `gwt-${randomUUID().slice(0, 8)}/events/device/svc/profile/dev/src`;

/** An envelope whose wire form makes `size(bytes)` equal `target` (a payload byte adds one, or two where MQTT's length field grows). */
function envelopeOf(target: number, size: (bytes: number) => number = (bytes) => bytes): MessageEnvelope<{ x: string }> {
  const wire = (n: number) => size(encodeEnvelope(newEnvelope({ x: 'x'.repeat(n) }, { correlationID: 'c' })).length);
  let n = target - wire(0);
  n -= wire(n) - target;
  const envelope = newEnvelope({ x: 'x'.repeat(n) }, { correlationID: 'c' });
  expect(wire(n)).toBe(target);
  return envelope;
}

/** What a rejected publish must say: too large, how large, and the limit. */
async function expectRefused(publishing: Promise<void>, bytes: number, limit: number, whose: RegExp): Promise<void> {
  const err = await within(publishing.then(() => undefined, (e: unknown) => e), 5_000, 'the oversized publish');
  expect(err).toBeInstanceOf(GatewayError);
  expect((err as GatewayError).kind).toBe(ErrorKind.PayloadTooLarge);
  expect((err as GatewayError).message).toContain(`is ${bytes} bytes, more than the ${limit} bytes`);
  expect((err as GatewayError).message).toMatch(whose);
}

describe('a publish larger than the broker takes is refused before it is sent; the connection and later publishes carry on', () => {
  let broker: BrokerProcess | undefined;
  const opened: ManagedMessageBus[] = [];
  const open = async (config: Parameters<typeof createMessageBus>[0]): Promise<ManagedMessageBus> => {
    const bus = createMessageBus({ clientId: `gwt-${randomUUID().slice(0, 8)}`, reconnectPeriodMs: 100, ...config });
    opened.push(bus);
    await bus.connect();
    return bus;
  };

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((b) => b.close()));
    await broker?.dispose();
    broker = undefined;
  });

  /**
   * Publishes what just fits, one byte more, far more, and a normal message:
   * the first and the last arrive, on the same connection; the others are refused.
   */
  async function exercise(
    bus: ManagedMessageBus,
    size: (target: number) => MessageEnvelope<{ x: string }>,
    limit: number,
    whose: RegExp,
  ) {
    const received = new Collector();
    await bus.subscribe(`${TOPIC.split('/')[0]}/#`, received.handler);
    const fits = size(limit);
    await bus.publish(TOPIC, fits);
    for (const bytes of [limit + 1, 3 * limit]) await expectRefused(bus.publish(TOPIC, size(bytes)), bytes, limit, whose);
    await within(bus.publish(TOPIC, newEnvelope({ x: 'after' })), 5_000, 'the publish after the oversized one');
    await received.count(2);
    expect(received.payloads()).toEqual([fits.payload, { x: 'after' }]);
    expect(bus.connected).toBe(true);
    expect(bus.stats()).toMatchObject({ published: 2, reconnects: 0 });
  }

  it('MQTT: above the Maximum Packet Size the broker announces (Mosquitto max_packet_size)', async () => {
    const limit = 10_000;
    broker = await startMosquitto({
      config: (port, dir) =>
        [`listener ${port} 127.0.0.1`, 'allow_anonymous true', `persistence_location ${dir}/`, `max_packet_size ${limit}`,
          'log_dest stderr', 'log_type all', ''].join('\n'),
    });
    // A larger configured bound does not matter: the broker's own wins.
    const bus = await open({ type: 'mqtt', url: broker.url, maxPacketBytes: 1_000_000 });
    // A packet of exactly the limit reaches the subscriber. (Mosquitto 2.0.11 would take one byte
    // more, against MQTT 5's "total packet size"; the arithmetic matches the bytes mqtt.js writes.)
    const packet = (target: number) => envelopeOf(target, (bytes) => publishPacketBytes(TOPIC, bytes));
    await exercise(bus, packet, limit, /the broker takes \(its Maximum Packet Size\); not sent/);
    expect(broker.output()).not.toMatch(/oversize packet/);
  });

  it('MQTT: above maxPacketBytes when the broker announces no limit', async () => {
    const limit = 10_000;
    const bus = await open({ type: 'mqtt', url: MACHINE_BROKER, maxPacketBytes: limit });
    const packet = (target: number) => envelopeOf(target, (bytes) => publishPacketBytes(TOPIC, bytes));
    await exercise(bus, packet, limit, /of maxPacketBytes; not sent/);
  });

  it("Redis: above maxPacketBytes, set to Redis's proto-max-bulk-len", async () => {
    const limit = 1024 * 1024; // the smallest proto-max-bulk-len Redis accepts
    broker = await startRedis({ args: ['--proto-max-bulk-len', String(limit)] });
    const bus = await open({ type: 'redis', url: broker.url, keyPrefix: `gwt:${randomUUID().slice(0, 8)}:`, maxPacketBytes: limit });
    // Exactly the limit goes through PUBLISH and XADD alike; one byte more would have Redis close the connection.
    await exercise(bus, (target) => envelopeOf(target), limit, /of maxPacketBytes \(set it to Redis's proto-max-bulk-len\); not sent/);
  });
});
