/**
 * Time as the SDK sees it, behind one seam: wall-clock nanoseconds for event
 * origins, a monotonic millisecond counter for schedules (a wall clock that
 * NTP steps back would make autoEvents stall or burst), and timers. Tests swap
 * in ManualClock to drive schedules without sleeping.
 */
import { performance } from 'node:perf_hooks';

export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Wall-clock time in nanoseconds since the epoch (as a JS number: precision below ~256 ns is lost). */
  nowNs(): number;
  /** Milliseconds from an arbitrary start; never goes backwards. */
  monotonicMs(): number;
  /** Runs `fn` once after `delayMs` (monotonic). */
  setTimer(fn: () => void, delayMs: number): Timer;
}

export const systemClock: Clock = {
  nowNs: () => Math.round((performance.timeOrigin + performance.now()) * 1e6),
  monotonicMs: () => performance.now(),
  setTimer: (fn, delayMs) => {
    const handle = setTimeout(fn, Math.max(0, delayMs));
    return { cancel: () => clearTimeout(handle) };
  },
};

/**
 * A clock that moves only when told to. `advance(ms)` fires every timer that
 * falls due on the way, in time order, letting promises settle between them,
 * so code that awaits inside a timer callback behaves as it would for real.
 */
export class ManualClock implements Clock {
  private now = 0;
  private seq = 0;
  private timers: Array<{ at: number; seq: number; fn: () => void }> = [];

  constructor(private readonly epochNs = 1_700_000_000_000 * 1e6) {}

  nowNs(): number {
    return this.epochNs + this.now * 1e6;
  }

  monotonicMs(): number {
    return this.now;
  }

  setTimer(fn: () => void, delayMs: number): Timer {
    const timer = { at: this.now + Math.max(0, delayMs), seq: this.seq++, fn };
    this.timers.push(timer);
    return { cancel: () => (this.timers = this.timers.filter((t) => t !== timer)) };
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.timers.length;
  }

  async advance(ms: number): Promise<void> {
    const until = this.now + ms;
    for (;;) {
      await settle();
      const next = this.timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.now = next.at;
      next.fn();
    }
    this.now = until;
    await settle();
  }
}

/** Lets pending promise callbacks run (a few macrotask turns, enough for short await chains). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
