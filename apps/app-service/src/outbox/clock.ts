/** Time for the outbox, injectable so tests can run hours of backoff and batching without sleeping. */
export interface Clock {
  /** ms since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The real clock; it looks the globals up at each call, so Jest's fake timers apply to it too. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * A clock that moves only when told, for tests: `advance` fires the timers
 * that fall due in order and lets the work they resume run before it returns.
 */
export class ManualClock implements Clock {
  private timers: Array<{ id: number; at: number; fn: () => void }> = [];
  private lastId = 0;

  constructor(private time = 1_700_000_000_000) {}

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.lastId;
    this.timers.push({ id, at: this.time + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((timer) => timer.id !== handle);
  }

  /** ms until the earliest timer, undefined when none is set (nothing polls). */
  get nextTimerIn(): number | undefined {
    return this.timers.length === 0 ? undefined : Math.min(...this.timers.map((t) => t.at)) - this.time;
  }

  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.clearTimeout(due.id);
      this.time = due.at;
      due.fn();
      await nextTurn();
    }
    this.time = end;
    await nextTurn();
  }
}

/** One turn of the event loop: the promises settled so far have run their continuations. */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
