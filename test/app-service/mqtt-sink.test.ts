import { randomBytes } from 'node:crypto';
import { AddressInfo, createConnection, createServer, Server, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { connectAsync, IPublishPacket, MqttClient } from 'mqtt';
import { MqttSink, MqttSinkOptions } from '../../apps/app-service/src/sinks/mqtt-sink';
import { DeliveryError, OutboxRecord, SinkLogger } from '../../apps/app-service/src/sinks/sink';
import { MqttSinkSchema } from '../../apps/app-service/src/sinks/sink-config';
import { freePort } from '../support/brokers';

jest.setTimeout(30_000);

const BROKER = process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const BROKER_PORT = Number(new URL(BROKER).port || 1883);

interface Message {
  topic: string;
  payload: Buffer;
  qos: number;
  retain: boolean;
}

/** A subscriber on the shared broker that lets a test await messages instead of sleeping. */
class Subscriber {
  readonly messages: Message[] = [];
  private waiters: Array<() => void> = [];

  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet: IPublishPacket) => {
      this.messages.push({ topic, payload, qos: packet.qos, retain: packet.retain });
      this.waiters.forEach((w) => w());
    });
  }

  static async open(filter: string): Promise<Subscriber> {
    const client = await connectAsync(BROKER, { clientId: `gwt-sub-${randomBytes(4).toString('hex')}` });
    const subscriber = new Subscriber(client);
    await client.subscribeAsync(filter, { qos: 1 });
    return subscriber;
  }

  async count(n: number, timeoutMs = 10_000): Promise<Message[]> {
    return (await this.until((all) => all.length >= n, `${n} messages`, timeoutMs)).slice(0, n);
  }

  /** Every message so far, once `done` says they are enough. */
  until(done: (messages: Message[]) => boolean, what: string, timeoutMs = 10_000): Promise<Message[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!done(this.messages)) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve([...this.messages]);
      };
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what} (got ${this.messages.length} messages)`)), timeoutMs);
      this.waiters.push(check);
      check();
    });
  }
}

/** Splits an MQTT byte stream into whole packets (fixed header: type nibble, then the remaining length in 7-bit groups). */
class Framer {
  private buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    const packets: Buffer[] = [];
    for (;;) {
      let length = 0;
      let i = 1;
      for (let shift = 0; ; shift += 7, i++) {
        if (i >= this.buffer.length) return packets;
        length += (this.buffer[i] & 0x7f) * 2 ** shift;
        if ((this.buffer[i] & 0x80) === 0) break;
      }
      const end = i + 1 + length;
      if (this.buffer.length < end) return packets;
      packets.push(this.buffer.subarray(0, end));
      this.buffer = this.buffer.subarray(end);
    }
  }
}

const PUBLISH = 3;
const PUBACK = 4;
const typeOf = (packet: Buffer): number => packet[0] >> 4;

/**
 * A TCP relay to the broker that can pass only so many PUBLISH packets and
 * swallow everything the client sends after them, count the PUBACKs it
 * passed back, and cut every connection.
 */
class Relay {
  /** PUBLISH packets still let through; after them the client's packets are swallowed. */
  publishes = Infinity;
  url = '';
  private pubacks = 0;
  private readonly waiters = new Set<() => void>();
  private readonly clients = new Set<Socket>();
  private readonly server: Server = createServer((client) => {
    const broker = createConnection(BROKER_PORT, '127.0.0.1');
    this.clients.add(client);
    const up = new Framer();
    const down = new Framer();
    for (const s of [client, broker]) s.on('error', () => undefined);
    client.on('data', (chunk) => {
      for (const packet of up.push(chunk)) {
        if (this.publishes === 0) continue;
        if (typeOf(packet) === PUBLISH) this.publishes--;
        broker.write(packet);
      }
    });
    broker.on('data', (chunk) => {
      for (const packet of down.push(chunk)) {
        client.write(packet, () => {
          if (typeOf(packet) !== PUBACK) return;
          this.pubacks++;
          this.waiters.forEach((w) => w());
        });
      }
    });
    client.on('close', () => {
      this.clients.delete(client);
      broker.destroy();
    });
    broker.on('close', () => client.destroy());
  });

  static async open(): Promise<Relay> {
    const relay = new Relay();
    await new Promise<void>((resolve) => relay.server.listen(0, '127.0.0.1', resolve));
    relay.url = `mqtt://127.0.0.1:${(relay.server.address() as AddressInfo).port}`;
    return relay;
  }

  /** Resolves once `n` PUBACKs in all have been handed to the client's connection. */
  pubacksPassed(n: number): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.pubacks < n) return;
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Closes every connection; what was already passed to the client still reaches it, before the close. */
  cut(): void {
    for (const client of this.clients) client.end();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const logger = (): SinkLogger => ({ debug: jest.fn(), info: jest.fn(), warn: jest.fn(), error: jest.fn() });

let nextId = 1;
const record = (key: string, doc: object, kind: OutboxRecord['kind'] = 'telemetry'): OutboxRecord => ({
  id: nextId++,
  key,
  kind,
  body: Buffer.from(JSON.stringify(doc)),
  createdAt: Date.now(),
  attempts: 0,
});
const json = (m: Message): unknown => JSON.parse(m.payload.toString());

async function failure(work: Promise<unknown>): Promise<DeliveryError> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof DeliveryError)) throw new Error(`expected a DeliveryError, got ${String(err)}`);
  return err;
}

describe('MQTT sink', () => {
  let prefix: string;
  let subscriber: Subscriber;
  const sinks: MqttSink[] = [];
  const closers: Array<() => Promise<unknown>> = [];

  const sink = async (extra: Record<string, unknown> = {}, options: MqttSinkOptions = {}, url = BROKER) => {
    const config = MqttSinkSchema.parse({
      name: 'plant',
      type: 'mqtt',
      url,
      clientId: `gwt-sink-${randomBytes(4).toString('hex')}`,
      topic: `${prefix}/{device}/{kind}`,
      ...extra,
    });
    const s = new MqttSink(config, options);
    sinks.push(s);
    await s.start({ logger: logger() });
    return s;
  };

  beforeEach(async () => {
    prefix = `gwt-${randomBytes(6).toString('hex')}`;
    subscriber = await Subscriber.open(`${prefix}/#`);
  });
  afterEach(async () => {
    await Promise.all(sinks.splice(0).map((s) => s.stop()));
    await Promise.all(closers.splice(0).map((close) => close()));
    await subscriber.client.endAsync();
  });

  it('publishes one message per record on the rendered topic, QoS 1, in order', async () => {
    const s = await sink();
    expect(s.connected).toBe(true);
    await s.deliver([record('pump-1', { v: 1 }), record('', { v: 2 }), record('pump-2', { v: 3 }, 'reported')], { batched: false, gzip: false });
    const got = await subscriber.count(3);
    expect(got.map((m) => [m.topic, json(m), m.qos, m.retain])).toEqual([
      [`${prefix}/pump-1/telemetry`, { v: 1 }, 1, false],
      [`${prefix}/all/telemetry`, { v: 2 }, 1, false],
      [`${prefix}/pump-2/reported`, { v: 3 }, 1, false],
    ]);
  });

  it('batched: one JSON array per topic', async () => {
    const s = await sink();
    await s.deliver([record('a', { v: 1 }), record('b', { v: 2 }), record('a', { v: 3 })], { batched: true, gzip: false });
    const got = await subscriber.count(2);
    expect(got.map((m) => [m.topic, json(m)])).toEqual([
      [`${prefix}/a/telemetry`, [{ v: 1 }, { v: 3 }]],
      [`${prefix}/b/telemetry`, [{ v: 2 }]],
    ]);
  });

  it('gzip: the payload inflates to the JSON', async () => {
    const s = await sink();
    await s.deliver([record('a', { v: 1 }), record('a', { v: 2 })], { batched: true, gzip: true });
    const [m] = await subscriber.count(1);
    expect(JSON.parse(gunzipSync(m.payload).toString())).toEqual([{ v: 1 }, { v: 2 }]);
  });

  it('retain: a subscriber that arrives later gets the last state', async () => {
    const s = await sink({ retain: true });
    await s.deliver([record('tank', { level: 42 }, 'reported')], { batched: false, gzip: false });
    const topic = `${prefix}/tank/reported`;
    // Clear the retained message on the shared broker whatever happens next.
    closers.push(async () => {
      const c = await connectAsync(BROKER);
      await c.publishAsync(topic, '', { qos: 1, retain: true });
      await c.endAsync();
    });
    const late = await Subscriber.open(topic);
    closers.push(() => late.client.endAsync());
    const [m] = await late.count(1);
    expect([json(m), m.retain]).toEqual([{ level: 42 }, true]);
  });

  it('broker unreachable: start returns, not connected, deliver fails with retry at once', async () => {
    const port = await freePort();
    const s = await sink({}, { reconnectPeriodMs: 100 }, `mqtt://127.0.0.1:${port}`);
    expect(s.connected).toBe(false);
    const err = await failure(s.deliver([record('a', { v: 1 })], { batched: false, gzip: false }));
    expect(err.disposition).toBe('retry');
    expect(err.message).toContain('connection refused by mqtt://127.0.0.1:');
  });

  /** What the outbox does: deliver again, with its backoff, until the sink is back. */
  async function deliverWhenBack(s: MqttSink, page: OutboxRecord[]): Promise<void> {
    for (;;) {
      const err = await s.deliver(page, { batched: false, gzip: false }).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (!err) return;
      expect(err).toBeInstanceOf(DeliveryError);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('connection lost while awaiting PUBACK: retry, and mqtt.js does not resend it behind the outbox', async () => {
    const relay = await Relay.open();
    closers.push(() => relay.close());
    const s = await sink({}, { reconnectPeriodMs: 100 }, relay.url);
    expect(s.connected).toBe(true);

    relay.publishes = 0;
    const pending = s.deliver([record('a', { lost: true })], { batched: false, gzip: false });
    relay.cut();
    const err = await failure(pending);
    expect([err.disposition, err.delivered]).toEqual(['retry', 0]);
    expect(s.connected).toBe(false);

    relay.publishes = Infinity;
    await deliverWhenBack(s, [record('a', { marker: true })]);
    // mqtt.js replays its in-flight store on reconnect before anything new, so the
    // marker arriving first (and alone) shows the swallowed publish was not replayed.
    const [first] = await subscriber.count(1);
    expect(json(first)).toEqual({ marker: true });
    await s.deliver([record('a', { after: true })], { batched: false, gzip: false });
    expect((await subscriber.count(2)).map(json)).toEqual([{ marker: true }, { after: true }]);
  });

  it('no PUBACK in time: retry, and mqtt.js does not resend it after a reconnect', async () => {
    const relay = await Relay.open();
    closers.push(() => relay.close());
    const s = await sink({}, { reconnectPeriodMs: 100, publishTimeoutMs: 300 }, relay.url);

    relay.publishes = 0;
    const err = await failure(s.deliver([record('a', { unanswered: true })], { batched: false, gzip: false }));
    expect([err.disposition, err.delivered]).toEqual(['retry', 0]);
    expect(err.message).toMatch(/no answer within 300 ms/);

    relay.publishes = Infinity;
    relay.cut();
    await deliverWhenBack(s, [record('a', { marker: true })]);
    await s.deliver([record('a', { after: true })], { batched: false, gzip: false });
    // mqtt.js would replay its store on the new connection before anything new; the marker
    // may arrive twice (a PUBACK lost in the cut), the swallowed publish never.
    const got = (await subscriber.until((all) => all.some((m) => 'after' in (json(m) as object)), 'the last message')).map(json);
    expect(got).not.toContainEqual({ unanswered: true });
    expect(got.at(-1)).toEqual({ after: true });
  });

  it('connection lost midway: delivered = the leading records the broker acknowledged; only the rest go again', async () => {
    const relay = await Relay.open();
    closers.push(() => relay.close());
    const s = await sink({}, { reconnectPeriodMs: 100 }, relay.url);
    const page = [1, 2, 3, 4].map((v) => record('a', { v }));

    relay.publishes = 2;
    const pending = s.deliver(page, { batched: false, gzip: false });
    await relay.pubacksPassed(2);
    relay.cut();
    const err = await failure(pending);
    expect([err.disposition, err.delivered]).toEqual(['retry', 2]);

    relay.publishes = Infinity;
    await deliverWhenBack(s, page.slice(err.delivered));
    await s.deliver([record('a', { marker: true })], { batched: false, gzip: false });
    // Each record once, in order: nothing replayed by mqtt.js, nothing acknowledged sent again.
    expect((await subscriber.count(5)).map(json)).toEqual([{ v: 1 }, { v: 2 }, { v: 3 }, { v: 4 }, { marker: true }]);
  });
});
