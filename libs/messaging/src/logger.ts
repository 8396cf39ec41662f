/**
 * The logger the bus writes to. Structural on purpose, so messaging stays free
 * of service-kit: a pino `Logger` (what service-kit hands out) or a test spy
 * fits as is. Arguments in pino's order, context first: `(obj, msg)`, the same
 * convention as the rest of the project; a call without context passes `{}`.
 */
export interface BusLogger {
  info(obj: Record<string, unknown>, msg?: string): void;
  warn(obj: Record<string, unknown>, msg?: string): void;
  error(obj: Record<string, unknown>, msg?: string): void;
}

export const silentLogger: BusLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/**
 * Logs a recurring problem (malformed messages, drops, reconnect attempts) at
 * most once per interval, with the number of occurrences since the last line,
 * so a flood of bad input cannot flood the log too.
 */
export class ThrottledLog {
  private lastAt = -Infinity;
  private suppressed = 0;

  constructor(
    private readonly log: (obj: Record<string, unknown>, msg: string) => void,
    private readonly intervalMs = 10_000,
  ) {}

  write(obj: Record<string, unknown>, msg: string): void {
    const now = Date.now();
    if (now - this.lastAt < this.intervalMs) {
      this.suppressed++;
      return;
    }
    const extra = this.suppressed > 0 ? { suppressedSinceLast: this.suppressed } : {};
    this.lastAt = now;
    this.suppressed = 0;
    this.log({ ...obj, ...extra }, msg);
  }
}
