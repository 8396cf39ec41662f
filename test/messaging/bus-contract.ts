/**
 * The behaviour every MessageBus implementation must show, run against each
 * one (in-process, MQTT on a real Mosquitto, Redis on a real redis-server).
 */
import { randomUUID } from 'node:crypto';
import { ErrorKind, GatewayError } from '@gw/contracts';
import { HandBack, ManagedMessageBus, newEnvelope } from '@gw/messaging';
import { Collector, HeldHandler, pollUntil, quietPeriod, within } from './helpers';

export interface BusHarness {
  /** A new, connected bus: a separate client of the same broker each time. */
  newBus(): Promise<ManagedMessageBus>;
  /** A bus whose broker can hold 10,000 messages for an absent durable subscriber. */
  newDurableBus(): Promise<ManagedMessageBus>;
  /** Puts raw bytes on the wire for `topic`, as a foreign producer would, bypassing the envelope encoder. */
  injectRaw(topic: string, data: Buffer): Promise<void>;
  /**
   * A bus like newDurableBus's whose subscribers can be made to vanish as a
   * crashed process's would: after crash() nothing more from it (no
   * acknowledgement) reaches the broker. Closing it afterwards is the caller's.
   */
  crashableBus(): Promise<{ bus: ManagedMessageBus; crash(): Promise<void> }>;
  /**
   * A bus like newBus's whose broker connections drop() resets, as a network
   * fault would; it then reconnects. None for a bus without a connection to lose.
   */
  droppableBus?(): Promise<{ bus: ManagedMessageBus; drop(): Promise<void> }>;
}

const runId = randomUUID().slice(0, 8);
let sequence = 0;
/** A topic base of one level, unique per test, so parallel runs on a shared broker never meet. */
export const uniqueBase = (): string => `gwt-${runId}-${++sequence}`;
export const uniqueName = (what: string): string => `${what}-${runId}-${++sequence}`;

export function describeBusContract(title: string, harness: () => BusHarness): void {
  describe(`${title}: MessageBus contract`, () => {
    jest.setTimeout(60_000);

    const open: ManagedMessageBus[] = [];
    const cleanups: Array<() => Promise<unknown>> = [];

    const bus = async (durable = false): Promise<ManagedMessageBus> => {
      const b = durable ? await harness().newDurableBus() : await harness().newBus();
      open.push(b);
      return b;
    };

    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
      await Promise.all(open.splice(0).map((b) => b.close()));
    });

    it('routes + and # wildcards and does not deliver non-matching topics', async () => {
      const b = uniqueBase();
      const [pub, sub] = [await bus(), await bus()];
      const plus = new Collector();
      const hash = new Collector();
      const exact = new Collector();
      const oneLevel = new Collector();
      await sub.subscribe(`${b}/a/+/c`, plus.handler);
      await sub.subscribe(`${b}/a/#`, hash.handler);
      await sub.subscribe(`${b}/x`, exact.handler);
      await sub.subscribe(`${b}/+`, oneLevel.handler);

      for (const t of ['a/1/c', 'a/1/c/d', 'a', 'x', 'y/z', 'a/1/d', 'ab/1/c', 'x/y']) {
        await pub.publish(`${b}/${t}`, newEnvelope({ t }));
      }
      // Per-publisher order: once each subscriber has its last message, nothing else is on its way.
      await pub.publish(`${b}/a/end/c`, newEnvelope({ t: 'end' }));
      await pub.publish(`${b}/end`, newEnvelope({ t: 'end' }));
      const last = (r: { envelope: { payload: unknown } }[]) => (r.at(-1)?.envelope.payload as { t: string })?.t;
      await Promise.all([
        plus.until((r) => last(r) === 'end', 'end on a/+/c'),
        hash.until((r) => last(r) === 'end', 'end on a/#'),
        oneLevel.until((r) => last(r) === 'end', 'end on +'),
        exact.count(1),
      ]);

      const ts = (c: Collector) => c.payloads<{ t: string }>().map((p) => p.t);
      expect(ts(plus)).toEqual(['a/1/c', 'end']);
      expect(ts(hash)).toEqual(['a/1/c', 'a/1/c/d', 'a', 'a/1/d', 'end']);
      expect(ts(oneLevel)).toEqual(['a', 'x', 'end']);
      expect(ts(exact)).toEqual(['x']);
      expect(hash.received.map((r) => r.topic)).toEqual([`${b}/a/1/c`, `${b}/a/1/c/d`, `${b}/a`, `${b}/a/1/d`, `${b}/a/end/c`]);
    });

    it('preserves every envelope field and sets receivedTopic to the topic it arrived on', async () => {
      const b = uniqueBase();
      const [pub, sub] = [await bus(), await bus()];
      const got = new Collector();
      await sub.subscribe(`${b}/#`, got.handler);
      const payload = { deviceName: 'd1', readings: [{ value: '21.5', valueType: 'Float32' }], nested: { n: null, ok: true } };
      const sent = newEnvelope(payload, {
        correlationID: 'corr-1',
        requestID: 'req-1',
        errorCode: 1,
        contentType: 'application/json',
        queryParams: { ds_pushevent: 'true' },
      });
      await pub.publish(`${b}/events/x`, sent);
      await got.count(1);
      const [{ envelope, topic }] = got.received;
      expect(topic).toBe(`${b}/events/x`);
      expect(envelope).toEqual({ ...sent, receivedTopic: `${b}/events/x` });
      expect(envelope.apiVersion).toBe('v3');
    });

    it('keeps per-publisher order (2 publishers x 500 messages)', async () => {
      const b = uniqueBase();
      const [p1, p2, sub] = [await bus(), await bus(), await bus()];
      const got = new Collector();
      await sub.subscribe(`${b}/order/#`, got.handler);
      const sends: Promise<void>[] = [];
      for (let i = 0; i < 500; i++) {
        // Not awaited one by one: order must hold for concurrent publish() calls too.
        sends.push(p1.publish(`${b}/order/p1/${i % 7}`, newEnvelope({ from: 'p1', i })));
        sends.push(p2.publish(`${b}/order/p2`, newEnvelope({ from: 'p2', i })));
      }
      await Promise.all(sends);
      await got.count(1000);
      const payloads = got.payloads<{ from: string; i: number }>();
      for (const from of ['p1', 'p2']) {
        expect(payloads.filter((p) => p.from === from).map((p) => p.i)).toEqual([...Array(500).keys()]);
      }
    });

    it('answers a request with the reply carrying the same requestID', async () => {
      const b = uniqueBase();
      const [requester, responder] = [await bus(), await bus()];
      await responder.subscribe(`${b}/device/command/request/#`, async (req) => {
        const reply = newEnvelope({ echo: req.payload }, { requestID: req.requestID, correlationID: req.correlationID });
        await responder.publish(`${b}/response/svc/${req.requestID}`, reply);
      });
      const ids = Array.from({ length: 10 }, () => randomUUID());
      const replies = await Promise.all(
        ids.map((requestID, i) =>
          requester.request(`${b}/device/command/request/svc/dev/cmd/get`, newEnvelope({ i }, { requestID }), {
            responseTopic: `${b}/response/svc/${requestID}`,
            timeoutMs: 5_000,
          }),
        ),
      );
      replies.forEach((reply, i) => {
        expect(reply.requestID).toBe(ids[i]);
        expect(reply.payload).toEqual({ echo: { i } });
      });
    });

    it('rejects a request nobody answers with a Timeout GatewayError', async () => {
      const b = uniqueBase();
      const requester = await bus();
      const started = Date.now();
      const options = { responseTopic: `${b}/response/nobody/x`, timeoutMs: 300 };
      const err = await requester
        .request(`${b}/device/command/request/nobody/dev/cmd/get`, newEnvelope({}), options)
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(GatewayError.is(err, ErrorKind.Timeout)).toBe(true);
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      // The response subscription was released: a late reply reaches nobody and breaks nothing.
      await requester.publish(`${b}/response/nobody/x`, newEnvelope({ late: true }));
    });

    it('skips and counts a malformed message, then delivers the next good one (plain and durable)', async () => {
      const b = uniqueBase();
      const [pub, sub] = [await bus(), await bus()];
      const durableName = uniqueName('malformed');
      cleanups.push(() => sub.deleteDurable(durableName));
      const plain = new Collector();
      const durable = new Collector();
      const topic = `${b}/events/device/svc/prof/dev/src`;
      await sub.subscribe(`${b}/events/#`, plain.handler);
      await sub.subscribe(`${b}/events/#`, durable.handler, { durable: durableName });

      await harness().injectRaw(topic, Buffer.from('this is not JSON {'));
      await harness().injectRaw(topic, Buffer.from('[1,2,3]'));
      await harness().injectRaw(topic, Buffer.from(JSON.stringify({ apiVersion: 'v3', payload: {}, errorCode: 'zero' })));
      await pub.publish(topic, newEnvelope({ good: true }));

      await Promise.all([plain.count(1), durable.count(1)]);
      expect(plain.payloads()).toEqual([{ good: true }]);
      expect(durable.payloads()).toEqual([{ good: true }]);
      // Three bad messages, seen by two subscriptions.
      expect(sub.stats().malformed).toBe(6);
    });

    it('skips a message over maxMessageBytes unparsed, telling onOversized, then delivers the next (plain and durable)', async () => {
      const b = uniqueBase();
      const [pub, sub] = [await bus(), await bus()];
      const durableName = uniqueName('oversized');
      cleanups.push(() => sub.deleteDurable(durableName));
      const plain = new Collector();
      const durable = new Collector();
      const told: Array<[string, number]> = [];
      const limit = { maxMessageBytes: 1024, onOversized: (topic: string, bytes: number) => told.push([topic, bytes]) };
      const topic = `${b}/events/device/svc/prof/dev/src`;
      await sub.subscribe(`${b}/events/#`, plain.handler, limit);
      await sub.subscribe(`${b}/events/#`, durable.handler, { durable: durableName, ...limit });

      await pub.publish(topic, newEnvelope({ big: 'x'.repeat(2000) }));
      // Multi-byte text: 400 characters, 1,200 bytes.
      await pub.publish(topic, newEnvelope({ big: '€'.repeat(400) }));
      await pub.publish(topic, newEnvelope({ fits: 'x'.repeat(500) }));

      await Promise.all([plain.count(1), durable.count(1)]);
      expect(plain.payloads()).toEqual([{ fits: 'x'.repeat(500) }]);
      expect(durable.payloads()).toEqual([{ fits: 'x'.repeat(500) }]);
      expect(told).toHaveLength(4);
      expect(told.every(([t, bytes]) => t === topic && bytes > 1024)).toBe(true);
      expect(sub.stats().malformed).toBe(4);
    });

    it('keeps delivering after a handler throws, counting the failure', async () => {
      const b = uniqueBase();
      const [pub, sub] = [await bus(), await bus()];
      const got = new Collector();
      await sub.subscribe(`${b}/t`, (envelope, topic) => {
        if ((envelope.payload as { fail?: boolean }).fail) throw new Error('handler bug');
        return got.handler(envelope, topic);
      });
      await pub.publish(`${b}/t`, newEnvelope({ fail: true }));
      await pub.publish(`${b}/t`, newEnvelope({ n: 2 }));
      await got.count(1);
      expect(got.payloads()).toEqual([{ n: 2 }]);
      expect(sub.stats().handlerErrors).toBe(1);
    });

    it('stops delivering to an unsubscribed handler while others on the same filter continue', async () => {
      const b = uniqueBase();
      const [pub, sub] = [await bus(), await bus()];
      const stays = new Collector();
      const leaves = new Collector();
      await sub.subscribe(`${b}/+`, stays.handler);
      const leaving = await sub.subscribe(`${b}/+`, leaves.handler);
      await pub.publish(`${b}/one`, newEnvelope({ n: 1 }));
      await Promise.all([stays.count(1), leaves.count(1)]);
      await leaving.unsubscribe();
      await pub.publish(`${b}/two`, newEnvelope({ n: 2 }));
      await stays.count(2);
      expect(leaves.payloads()).toEqual([{ n: 1 }]);
    });

    it('refuses wildcard publish topics and malformed filters with ContractInvalid', async () => {
      const b = uniqueBase();
      const x = await bus();
      for (const attempt of [
        () => x.publish(`${b}/+/x`, newEnvelope({})),
        () => x.publish(`${b}/#`, newEnvelope({})),
        () => x.publish('', newEnvelope({})),
        () => x.subscribe(`${b}/a#`, () => undefined),
        () => x.subscribe(`${b}/#/x`, () => undefined),
        () => x.subscribe(`${b}/a+/x`, () => undefined),
      ]) {
        await expect(attempt()).rejects.toMatchObject({ kind: ErrorKind.ContractInvalid });
      }
    });

    it('tells onReconnect listeners when it is back after losing its broker, its plain subscriptions working again', async () => {
      const h = harness();
      if (!h.droppableBus) {
        // In-process: there is no connection to lose, so nothing is ever told.
        const x = await bus();
        const off = x.onReconnect(() => undefined);
        expect(off).toBeInstanceOf(Function);
        off();
        return;
      }
      const { bus: x, drop } = await h.droppableBus();
      open.push(x);
      const b = uniqueBase();
      const got = new Collector();
      await x.subscribe(`${b}/#`, got.handler);
      const told: string[] = [];
      let reconnected: () => void = () => undefined;
      const first = new Promise<void>((resolve) => (reconnected = resolve));
      x.onReconnect(() => {
        throw new Error('a failing listener does not keep the others from being told');
      });
      x.onReconnect(() => {
        told.push('listener');
        reconnected();
      });
      x.onReconnect(() => told.push('removed'))();

      await drop();
      await within(first, 15_000, 'the reconnect to be told');
      expect(x.connected).toBe(true);
      expect(told.every((t) => t === 'listener')).toBe(true);
      expect(x.stats().reconnects).toBe(told.length);
      const pub = await bus();
      await pub.publish(`${b}/after`, newEnvelope({ after: true }));
      await got.count(1);
      expect(got.payloads()).toEqual([{ after: true }]);
    });

    it('refuses a second active durable subscriber with the same name', async () => {
      const b = uniqueBase();
      const x = await bus();
      const name = uniqueName('twice');
      cleanups.push(() => x.deleteDurable(name));
      await x.subscribe(`${b}/events/#`, () => undefined, { durable: name });
      const again = x.subscribe(`${b}/events/#`, () => undefined, { durable: name });
      await expect(again).rejects.toMatchObject({ kind: ErrorKind.DuplicateName });
    });

    describe('durable subscriptions with maxInFlight', () => {
      it('hands out up to maxInFlight messages at once, in order, and the next only when one settles', async () => {
        const b = uniqueBase();
        const name = uniqueName('window');
        const [pub, sub] = [await bus(true), await bus(true)];
        cleanups.push(() => sub.deleteDurable(name));
        const held = new HeldHandler();
        const subscription = await sub.subscribe(`${b}/events/#`, held.handler, { durable: name, maxInFlight: 3 });
        cleanups.push(async () => {
          held.letGo();
          await subscription.unsubscribe();
        });
        for (let i = 0; i < 6; i++) await pub.publish(`${b}/events/device/s/p/d/r`, newEnvelope({ i }));

        await held.count(3);
        await quietPeriod();
        expect(held.seen).toEqual([0, 1, 2]);
        // What the metrics report as the consumer's lag behind the broker.
        expect(sub.stats().inFlight).toBe(3);
        // The middle one settles first: room for exactly one more.
        held.release(1);
        await held.count(4);
        await quietPeriod();
        expect(held.seen).toEqual([0, 1, 2, 3]);
        held.letGo();
        await held.count(6);
        expect(held.seen).toEqual([0, 1, 2, 3, 4, 5]);
        expect(held.maxInHand).toBe(3);
        await pollUntil(() => sub.stats().acknowledged === 6, 'all 6 acknowledged');
        expect(sub.stats().inFlight).toBe(0);
      });

      it('acknowledges each message when its own handler settles: after a crash the next subscriber gets only the unacknowledged again', async () => {
        const b = uniqueBase();
        const name = uniqueName('crash');
        const filter = `${b}/events/#`;
        const { bus: first, crash } = await harness().crashableBus();
        open.push(first);
        const pub = await bus(true);
        // By the bus whose subscriber is active then: deleting stops it first.
        const active = { bus: pub };
        cleanups.push(() => active.bus.deleteDurable(name));
        const held = new HeldHandler();
        await first.subscribe(filter, held.handler, { durable: name, maxInFlight: 2 });
        for (let i = 0; i < 4; i++) await pub.publish(`${b}/events/device/s/p/d/r`, newEnvelope({ i }));

        await held.count(2);
        held.release(1);
        // 2 is handed out once 1 settled, and 1's acknowledgement is sent (crash() still delivers what was sent).
        await held.count(3);
        await pollUntil(() => first.stats().acknowledged === 1, "message 1's acknowledgement");
        expect(held.seen).toEqual([0, 1, 2]);
        await crash();
        // What the crashed subscriber's handlers do now reaches nobody.
        held.letGo();

        const again = new Collector();
        const second = await bus(true);
        active.bus = second;
        await second.subscribe(filter, again.handler, { durable: name, maxInFlight: 2 });
        await again.count(3);
        await pub.publish(`${b}/events/device/s/p/d/r`, newEnvelope({ i: 4 }));
        await again.count(4);
        // 0 and 2 were in hand, 3 never handed out; 1 was acknowledged.
        expect(again.payloads<{ i: number }>().map((p) => p.i)).toEqual([0, 2, 3, 4]);
      });

      it('acknowledges a message whose handler rejects, counting the failure: it does not come again', async () => {
        const b = uniqueBase();
        const name = uniqueName('rejects');
        const filter = `${b}/events/#`;
        const [pub, sub] = [await bus(true), await bus(true)];
        cleanups.push(() => sub.deleteDurable(name));
        const first = new Collector();
        const away = await sub.subscribe(
          filter,
          async (envelope, topic) => {
            if ((envelope.payload as { fail?: boolean }).fail) throw new Error('commit failed');
            await first.handler(envelope, topic);
          },
          { durable: name, maxInFlight: 2 },
        );
        await pub.publish(`${b}/events/device/s/p/d/r`, newEnvelope({ fail: true }));
        await pub.publish(`${b}/events/device/s/p/d/r`, newEnvelope({ n: 1 }));
        await first.count(1);
        await away.unsubscribe();
        expect(sub.stats().handlerErrors).toBe(1);

        const back = new Collector();
        await sub.subscribe(filter, back.handler, { durable: name, maxInFlight: 2 });
        await pub.publish(`${b}/events/device/s/p/d/r`, newEnvelope({ n: 2 }));
        await back.count(1);
        expect(back.payloads()).toEqual([{ n: 2 }]);
      });

      it('leaves a message its handler hands back unacknowledged: the next session of the name gets it again', async () => {
        const b = uniqueBase();
        const name = uniqueName('handback');
        const filter = `${b}/events/#`;
        const [pub, sub] = [await bus(true), await bus(true)];
        cleanups.push(() => sub.deleteDurable(name));
        const first = new Collector();
        const away = await sub.subscribe(
          filter,
          async (envelope, topic) => {
            await first.handler(envelope, topic);
            if ((envelope.payload as { n: number }).n === 1) throw new HandBack('stopping before the commit');
          },
          { durable: name, maxInFlight: 2 },
        );
        for (const n of [0, 1, 2]) await pub.publish(`${b}/events/device/s/p/d/r`, newEnvelope({ n }));
        await first.count(3);
        await away.unsubscribe();
        expect(sub.stats()).toMatchObject({ handedBack: 1, handlerErrors: 0 });

        const back = new Collector();
        await sub.subscribe(filter, back.handler, { durable: name, maxInFlight: 2 });
        await pub.publish(`${b}/events/device/s/p/d/r`, newEnvelope({ n: 3 }));
        await back.count(2);
        // 0 and 2 were acknowledged; 1 comes again, before what was published since.
        expect(back.payloads()).toEqual([{ n: 1 }, { n: 3 }]);
      });

      it('with maxInFlight 1, the default, hands out one message at a time, in order', async () => {
        const b = uniqueBase();
        const name = uniqueName('serial');
        const [pub, sub] = [await bus(true), await bus(true)];
        cleanups.push(() => sub.deleteDurable(name));
        let inHand = 0;
        let most = 0;
        const got = new Collector();
        await sub.subscribe(
          `${b}/events/#`,
          async (envelope, topic) => {
            most = Math.max(most, ++inHand);
            // Settles on a later turn of the event loop, so a second call would overlap.
            await new Promise((resolve) => setImmediate(resolve));
            inHand--;
            await got.handler(envelope, topic);
          },
          { durable: name },
        );
        await Promise.all(Array.from({ length: 50 }, (_, i) => pub.publish(`${b}/events/device/s/p/d/r`, newEnvelope({ i }))));
        await got.count(50);
        expect(got.payloads<{ i: number }>().map((p) => p.i)).toEqual([...Array(50).keys()]);
        expect(most).toBe(1);
      });

      it('refuses maxInFlight out of range, or without durable, with ContractInvalid naming it', async () => {
        const b = uniqueBase();
        const x = await bus();
        for (const options of [{ durable: uniqueName('bad'), maxInFlight: 0 }, { durable: uniqueName('bad'), maxInFlight: 70_000 }, { maxInFlight: 10 }]) {
          await expect(x.subscribe(`${b}/events/#`, () => undefined, options)).rejects.toMatchObject({
            kind: ErrorKind.ContractInvalid,
            message: expect.stringContaining('maxInFlight'),
          });
        }
      });
    });

    it('delivers all 10,000 events published while a durable subscriber was away, in order', async () => {
      const b = uniqueBase();
      const name = uniqueName('core-data');
      const filter = `${b}/events/device/#`;
      const first = await bus(true);
      cleanups.push(() => first.deleteDurable(name));
      const before = new Collector();
      const away = await first.subscribe(filter, before.handler, { durable: name });
      await away.unsubscribe();

      const publisher = await bus(true);
      const total = 10_000;
      const sends: Promise<void>[] = [];
      for (let i = 0; i < total; i++) {
        sends.push(publisher.publish(`${b}/events/device/svc/prof/dev-${i % 5}/temp`, newEnvelope({ seq: i, id: `e-${i}` })));
      }
      await within(Promise.all(sends), 30_000, 'publishing 10,000 events');

      const back = new Collector();
      const distinct = new Set<string>();
      const returned = await bus(true);
      const sub = await returned.subscribe(
        filter,
        (envelope, topic) => {
          distinct.add((envelope.payload as { id: string }).id);
          return back.handler(envelope, topic);
        },
        { durable: name },
      );
      await back.until(() => distinct.size >= total, `${total} distinct events`, 40_000);
      await sub.unsubscribe();

      const seqs = back.payloads<{ seq: number }>().map((p) => p.seq);
      expect(new Set(seqs).size).toBe(total);
      expect(before.received).toHaveLength(0);
      // At-least-once may repeat, but never reorders: the first sighting of each event is in publish order.
      const seen = new Set<number>();
      const firstSeen = seqs.filter((s) => !seen.has(s) && seen.add(s));
      expect(firstSeen).toEqual([...Array(total).keys()]);
      expect(returned.stats().dropped).toBe(0);
    });
  });
}
