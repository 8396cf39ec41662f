/**
 * Time behind one seam: wall-clock time for the timestamps others read
 * (event origins, outbox records), a monotonic counter for schedules and
 * deadlines (a wall clock that NTP steps back would make them stall or
 * burst), and timers on the monotonic clock. Tests swap in ManualClock to run
 * hours of schedules and back-off without sleeping.
 */

/** A timer set with Clock.setTimer; cancel() after it fired (or twice) does nothing. */
export interface Timer {
  cancel(): void;
  /** Lets the process exit while the timer is pending (for timers nobody must wait for, such as a log summary). */
  unref(): void;
}

export interface Clock {
  /** Wall-clock time in ms since the epoch. NTP or an operator may step it: not for measuring intervals. */
  now(): number;
  /** Wall-clock time in ns since the epoch, for EdgeX origins: finer than now() (a JS number keeps ~256 ns). */
  nowNs(): number;
  /** ms from an arbitrary start; never goes backwards. */
  monotonicMs(): number;
  /** Runs `fn` once after `delayMs` of monotonic time (at once for 0 or less). */
  setTimer(fn: () => void, delayMs: number): Timer;
}

/** The real clock. It looks the globals up at each call, so Jest's fake timers apply to it too. */
export const systemClock: Clock = {
  now: () => Date.now(),
  nowNs: () => Math.round((performance.timeOrigin + performance.now()) * 1e6),
  monotonicMs: () => performance.now(),
  setTimer: (fn, delayMs) => {
    const handle = setTimeout(fn, Math.max(0, delayMs));
    return { cancel: () => clearTimeout(handle), unref: () => void handle.unref() };
  },
};

/**
 * Resolves after `ms` of the clock's monotonic time (back-off waits that
 * ManualClock can skip), or at once when `signal` aborts: a retry loop that
 * a close() must end without waiting out its back-off.
 */
export function delay(ms: number, clock: Clock = systemClock, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      timer.cancel();
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = clock.setTimer(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * A clock that moves only when told to, for tests. `advance(ms)` fires every
 * timer that falls due on the way, in time order (in the order set for the
 * same time), and lets the work they resume settle before the next one and
 * before it returns, so code that awaits inside a timer behaves as it would
 * for real. Wall and monotonic time move together.
 */
export class ManualClock implements Clock {
  private elapsed = 0;
  private seq = 0;
  private timers: Array<{ at: number; seq: number; fn: () => void }> = [];

  /** `startMs`: the wall-clock time at the start (ms since the epoch). */
  constructor(private readonly startMs = 1_700_000_000_000) {}

  now(): number {
    return this.startMs + this.elapsed;
  }

  nowNs(): number {
    return this.now() * 1e6;
  }

  monotonicMs(): number {
    return this.elapsed;
  }

  setTimer(fn: () => void, delayMs: number): Timer {
    const timer = { at: this.elapsed + Math.max(0, delayMs), seq: this.seq++, fn };
    this.timers.push(timer);
    return { cancel: () => (this.timers = this.timers.filter((t) => t !== timer)), unref: () => undefined };
  }

  /** Timers set and not yet fired or cancelled. */
  get pending(): number {
    return this.timers.length;
  }

  /** ms until the earliest pending timer; undefined when none is set (nothing polls). */
  get nextTimerIn(): number | undefined {
    return this.timers.length === 0 ? undefined : Math.min(...this.timers.map((t) => t.at)) - this.elapsed;
  }

  async advance(ms: number): Promise<void> {
    const until = this.elapsed + ms;
    for (;;) {
      await settle();
      const next = this.timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.elapsed = next.at;
      next.fn();
    }
    this.elapsed = until;
    await settle();
  }
}

/**
 * Lets the work that can already go on run: a few turns of the event loop,
 * enough for short chains of awaits, timers of 0 excepted. For tests.
 */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
