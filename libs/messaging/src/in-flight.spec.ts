import { ErrorKind } from '@gw/contracts';
import { inFlightLimit, InFlightWindow } from './in-flight';

/** A handler call the test settles by hand. */
function held(): { work: () => Promise<void>; settle: () => void } {
  let settle!: () => void;
  const done = new Promise<void>((resolve) => (settle = resolve));
  return { work: () => done, settle };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('InFlightWindow', () => {
  it('holds at most `limit`, acknowledges each as its own work settles, in any order, and makes room then', async () => {
    const window = new InFlightWindow(2);
    const acked: string[] = [];
    const [a, b] = [held(), held()];
    window.hand(a.work, () => acked.push('a'));
    window.hand(b.work, () => acked.push('b'));
    expect(window.free).toBe(0);
    expect(() => window.hand(async () => undefined, () => undefined)).toThrow('in-flight window of 2 is full');

    let room = false;
    void window.room().then(() => (room = true));
    await turn();
    expect(room).toBe(false);
    b.settle();
    await turn();
    expect(acked).toEqual(['b']);
    expect(room).toBe(true);
    expect(window.inHand).toBe(1);

    let idle = false;
    void window.idle().then(() => (idle = true));
    await turn();
    expect(idle).toBe(false);
    a.settle();
    await turn();
    expect(acked).toEqual(['b', 'a']);
    expect(idle).toBe(true);
  });

  it('stops waiting for room once the signal aborts (a subscriber stopping)', async () => {
    const window = new InFlightWindow(1);
    window.hand(held().work, () => undefined);
    const stopping = new AbortController();
    let woke = false;
    void window.room(stopping.signal).then(() => (woke = true));
    await turn();
    expect(woke).toBe(false);
    stopping.abort();
    await turn();
    expect(woke).toBe(true);
    await window.room(stopping.signal); // already aborted: at once
  });

  it('acknowledges work that rejects too', async () => {
    const window = new InFlightWindow(1);
    const acked: number[] = [];
    window.hand(() => Promise.reject(new Error('bug')), () => acked.push(1));
    await window.idle();
    expect(acked).toEqual([1]);
    expect(window.free).toBe(1);
  });
});

describe('inFlightLimit', () => {
  it('is 1 unless given', () => {
    expect(inFlightLimit({ durable: 'd' })).toBe(1);
    expect(inFlightLimit({})).toBe(1);
    expect(inFlightLimit({ durable: 'd', maxInFlight: 65_535 })).toBe(65_535);
  });

  it.each([0, -1, 1.5, 65_536, Number.NaN])('refuses %p naming the option', (maxInFlight) => {
    expect(() => inFlightLimit({ durable: 'd', maxInFlight })).toThrow(
      expect.objectContaining({ kind: ErrorKind.ContractInvalid, message: expect.stringContaining('maxInFlight must be an integer from 1 to 65535') }),
    );
  });

  it('refuses it on a subscription that is not durable', () => {
    expect(() => inFlightLimit({ maxInFlight: 10 })).toThrow(
      expect.objectContaining({ kind: ErrorKind.ContractInvalid, message: expect.stringContaining('durable subscriptions only') }),
    );
  });
});
