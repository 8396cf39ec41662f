import { ErrorKind, ManualClock } from '@gw/contracts';
import { ConnectionSlots, SlotHolder } from './slots';

class Holder implements SlotHolder {
  lastUsedMs = 0;
  idle = true;
  evicted = 0;
  constructor(readonly name: string) {}
  evictable = () => this.idle;
  evict = () => void this.evicted++;
}

describe('ConnectionSlots', () => {
  it('gives free slots, then the least recently used idle holder’s once it has disconnected, never a busy one’s', async () => {
    const clock = new ManualClock();
    const slots = new ConnectionSlots(2, 10, clock);
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((n) => new Holder(n));
    a.lastUsedMs = 5;
    b.lastUsedMs = 1;
    await slots.acquire(a, 1_000, 'a');
    await slots.acquire(b, 1_000, 'b');
    expect(slots.inUse).toBe(2);
    let cGot = false;
    const cWaits = slots.acquire(c, 1_000, 'c').then(() => (cGot = true)); // b is asked: idle and used longest ago
    await clock.advance(10);
    // b disconnects: until it has, it holds its slot.
    expect([a.evicted, b.evicted, slots.holds(b), cGot, slots.inUse]).toEqual([0, 1, true, false, 2]);
    slots.release(b);
    await cWaits;
    expect([slots.holds(b), slots.holds(c), b.evicted]).toEqual([false, true, 1]);
    a.idle = false;
    c.idle = false;
    let got = false;
    const waiting = slots.acquire(d, 1_000, 'd').then(() => (got = true));
    await clock.advance(10);
    expect([got, slots.waiting, a.evicted, c.evicted]).toEqual([false, 1, 0, 0]);
    c.idle = true;
    slots.idle(); // c finished an operation: asked to give its slot away
    expect(c.evicted).toBe(1);
    slots.release(c);
    await waiting;
    expect([got, slots.holds(d), slots.peak]).toEqual([true, true, 2]);
  });

  it('asks one idle holder per waiter, not more', async () => {
    const clock = new ManualClock();
    const slots = new ConnectionSlots(3, 10, clock);
    const held = ['a', 'b', 'c'].map((n) => new Holder(n));
    for (const h of held) await slots.acquire(h, 1_000, h.name);
    const waiting = [slots.acquire(new Holder('x'), 1_000, 'x'), slots.acquire(new Holder('y'), 1_000, 'y')];
    await clock.advance(10);
    expect(held.map((h) => h.evicted)).toEqual([1, 1, 0]);
    slots.release(held[0]);
    slots.release(held[1]);
    await Promise.all(waiting);
    expect([slots.inUse, held[2].evicted]).toEqual([3, 0]);
  });

  it('serves waiters in order when a slot is released, gives up after the timeout, and bounds the queue', async () => {
    const clock = new ManualClock();
    const slots = new ConnectionSlots(1, 1, clock);
    const busy = new Holder('busy');
    busy.idle = false;
    await slots.acquire(busy, 1_000, 'busy');
    const first = new Holder('first');
    const waiting = slots.acquire(first, 500, 'reading first').catch((e: unknown) => e);
    await expect(slots.acquire(new Holder('second'), 500, 'reading second')).rejects.toMatchObject({
      kind: ErrorKind.ServiceUnavailable,
      message: expect.stringContaining('all 1 BLE connections are in use and 1 devices wait for one'),
    });
    await clock.advance(500);
    expect(await waiting).toMatchObject({ kind: ErrorKind.ServiceUnavailable, message: expect.stringContaining('reading first: no BLE connection became free within 500 ms') });
    const next = new Holder('next');
    const served = slots.acquire(next, 500, 'next');
    slots.release(busy);
    await served;
    expect(slots.holds(next)).toBe(true);
  });

  it('cancels the wait of a removed device', async () => {
    const slots = new ConnectionSlots(1, 5, new ManualClock());
    const busy = new Holder('busy');
    busy.idle = false;
    await slots.acquire(busy, 1_000, 'busy');
    const gone = new Holder('gone');
    const waiting = slots.acquire(gone, 1_000, 'gone').catch((e: unknown) => e);
    slots.cancel(gone, new Error('removed'));
    expect(await waiting).toEqual(new Error('removed'));
    expect(slots.waiting).toBe(0);
  });
});
