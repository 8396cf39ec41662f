/**
 * The logger the bus writes to. Structural on purpose: pino, Nest's logger
 * adapter and a test spy all fit, and messaging stays free of service-kit.
 */
export interface BusLogger {
  info(msg: string, obj?: Record<string, unknown>): void;
  warn(msg: string, obj?: Record<string, unknown>): void;
  error(msg: string, obj?: Record<string, unknown>): void;
}

export const silentLogger: BusLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** Hides the password of a broker URL so it can be logged. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password) return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable url>';
  }
}

/**
 * Logs a recurring problem (malformed messages, drops, reconnect attempts) at
 * most once per interval, with the number of occurrences since the last line,
 * so a flood of bad input cannot flood the log too.
 */
export class ThrottledLog {
  private lastAt = -Infinity;
  private suppressed = 0;

  constructor(
    private readonly log: (msg: string, obj?: Record<string, unknown>) => void,
    private readonly intervalMs = 10_000,
  ) {}

  write(msg: string, obj: Record<string, unknown> = {}): void {
    const now = Date.now();
    if (now - this.lastAt < this.intervalMs) {
      this.suppressed++;
      return;
    }
    const extra = this.suppressed > 0 ? { suppressedSinceLast: this.suppressed } : {};
    this.lastAt = now;
    this.suppressed = 0;
    this.log(msg, { ...obj, ...extra });
  }
}
