import { delay, ManualClock, settle, systemClock } from './clock';

describe('ManualClock', () => {
  it('fires the timers that fall due, in time order and in the order set for the same time', async () => {
    const clock = new ManualClock();
    const fired: string[] = [];
    clock.setTimer(() => fired.push(`b@${clock.monotonicMs()}`), 200);
    clock.setTimer(() => fired.push(`a@${clock.monotonicMs()}`), 100);
    clock.setTimer(() => fired.push(`c@${clock.monotonicMs()}`), 200);
    clock.setTimer(() => fired.push(`late@${clock.monotonicMs()}`), 301);
    await clock.advance(300);
    expect(fired).toEqual(['a@100', 'b@200', 'c@200']);
    expect(clock.monotonicMs()).toBe(300);
    expect(clock.pending).toBe(1);
    expect(clock.nextTimerIn).toBe(1);
  });

  it('lets awaited work resume between timers, so a timer set by that work fires in the same advance', async () => {
    const clock = new ManualClock();
    const sleep = (ms: number) => new Promise<void>((resolve) => clock.setTimer(resolve, ms));
    const ticks: number[] = [];
    const loop = (async () => {
      for (let i = 0; i < 3; i++) {
        await sleep(100);
        await Promise.resolve(); // a further await before the next timer is set
        ticks.push(clock.monotonicMs());
      }
    })();
    await clock.advance(1000);
    await loop;
    expect(ticks).toEqual([100, 200, 300]);
    expect(clock.nextTimerIn).toBeUndefined();
  });

  it('does not fire a cancelled timer; cancelling twice or after firing does nothing', async () => {
    const clock = new ManualClock();
    const fired: string[] = [];
    const cancelled = clock.setTimer(() => fired.push('cancelled'), 10);
    const kept = clock.setTimer(() => fired.push('kept'), 10);
    cancelled.cancel();
    cancelled.cancel();
    expect(clock.pending).toBe(1);
    await clock.advance(10);
    kept.cancel();
    expect(fired).toEqual(['kept']);
    expect(clock.pending).toBe(0);
  });

  it('fires a timer set for 0 or less at the next advance, without moving time', async () => {
    const clock = new ManualClock();
    let fired = false;
    clock.setTimer(() => (fired = true), -5);
    expect(clock.nextTimerIn).toBe(0);
    await clock.advance(0);
    expect(fired).toBe(true);
    expect(clock.monotonicMs()).toBe(0);
  });

  it('moves wall-clock time with monotonic time, from the given start', async () => {
    const clock = new ManualClock(1_000);
    await clock.advance(250);
    expect(clock.now()).toBe(1_250);
    expect(clock.nowNs()).toBe(1_250 * 1e6);
    expect(clock.monotonicMs()).toBe(250);
    expect(new ManualClock().now()).toBe(1_700_000_000_000);
  });
});

describe('systemClock', () => {
  it('tells wall-clock time in ms and ns, and a monotonic time that does not go back', () => {
    const before = Date.now();
    const ns = systemClock.nowNs();
    const ms = systemClock.now();
    expect(ms).toBeGreaterThanOrEqual(before);
    // The ns clock counts from process start on the monotonic clock: close to Date.now(), not equal.
    expect(Math.abs(ns / 1e6 - ms)).toBeLessThan(1_000);
    const a = systemClock.monotonicMs();
    expect(systemClock.monotonicMs()).toBeGreaterThanOrEqual(a);
  });

  it('runs a timer once, and not after cancel()', async () => {
    const fired: string[] = [];
    systemClock.setTimer(() => fired.push('cancelled'), 0).cancel();
    await new Promise<void>((resolve) => systemClock.setTimer(() => (fired.push('kept'), resolve()), 1));
    await settle();
    expect(fired).toEqual(['kept']);
  });
});

describe('delay', () => {
  it('resolves after the clock moved by `ms`', async () => {
    const clock = new ManualClock();
    let done = false;
    void delay(1_000, clock).then(() => (done = true));
    await clock.advance(999);
    expect(done).toBe(false);
    await clock.advance(1);
    expect(done).toBe(true);
  });

  it('resolves at once when its signal aborts, and leaves no timer behind', async () => {
    const clock = new ManualClock();
    const closing = new AbortController();
    const waited = delay(30_000, clock, closing.signal);
    closing.abort();
    await waited;
    expect(clock.pending).toBe(0);
    // Already aborted: no wait at all.
    await delay(30_000, clock, closing.signal);
    expect(clock.pending).toBe(0);
  });
});
