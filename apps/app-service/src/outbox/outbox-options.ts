/**
 * A route's outbox settings, resolved from the sink's `outbox` section of the
 * pipelines file (sinks/sink-config.ts) to plain numbers, with defaults, and
 * checked once at boot so a wrong value stops the service with the field's name.
 */
import { parseDuration } from '@gw/contracts';
import { byteSize } from '@gw/service-kit/config';
import type { OutboxConfig } from '../sinks/sink-config';

export type WhenFull = 'drop-oldest' | 'drop-newest';

export interface OutboxOptions {
  maxRecords: number;
  /** Bytes of record bodies. */
  maxBytes: number;
  maxAgeMs: number;
  whenFull: WhenFull;
  retryMinMs: number;
  retryMaxMs: number;
}

export const OUTBOX_DEFAULTS: Readonly<OutboxOptions> = Object.freeze({
  maxRecords: 1_000_000,
  maxBytes: 1024 ** 3,
  maxAgeMs: 7 * 24 * 3_600_000,
  whenFull: 'drop-oldest',
  retryMinMs: 1_000,
  retryMaxMs: 5 * 60_000,
});

/** How a route (one pipeline feeding one sink) runs. */
export interface RouteOptions {
  /** `<pipeline>.<sink>`. */
  route: string;
  /**
   * Set when the pipeline batches. `count`: most records per message; `intervalMs`:
   * wait up to this long after the oldest waiting record for `count` to gather
   * (time only: deliver what gathered each interval). Count alone never waits.
   */
  batch?: { count?: number; intervalMs?: number };
  gzip: boolean;
  bounds: OutboxOptions;
}

const DAY_MS = 86_400_000;

/**
 * A duration: Go-style text (`500ms`, `30s`, `1h30m`) with days in front
 * (`7d`, `1d12h`), or a number of milliseconds.
 */
export function parseOutboxDuration(value: string | number, field: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value > 0) return value;
    throw new Error(`${field}: expected a positive duration, got ${value}`);
  }
  const text = value.trim();
  const days = /^(\d+(?:\.\d+)?)d(.*)$/.exec(text);
  try {
    const ms = days ? Number(days[1]) * DAY_MS + (days[2] ? parseDuration(days[2]) : 0) : parseDuration(text);
    if (ms > 0) return ms;
  } catch {
    // the message below says what is accepted
  }
  throw new Error(`${field}: expected a duration such as 30s, 5m, 12h or 7d, got ${JSON.stringify(value)}`);
}

export function resolveOutboxOptions(config: OutboxConfig = {}, field = 'outbox'): OutboxOptions {
  const options: OutboxOptions = { ...OUTBOX_DEFAULTS };
  if (config.maxRecords !== undefined) {
    if (!Number.isSafeInteger(config.maxRecords) || config.maxRecords < 1) {
      throw new Error(`${field}.maxRecords: expected a positive integer, got ${JSON.stringify(config.maxRecords)}`);
    }
    options.maxRecords = config.maxRecords;
  }
  if (config.maxBytes !== undefined) {
    const parsed = byteSize().safeParse(config.maxBytes);
    if (!parsed.success) throw new Error(`${field}.maxBytes: ${parsed.error.issues[0].message}`);
    options.maxBytes = parsed.data;
  }
  if (config.maxAge !== undefined) options.maxAgeMs = parseOutboxDuration(config.maxAge, `${field}.maxAge`);
  if (config.whenFull !== undefined) {
    if (config.whenFull !== 'drop-oldest' && config.whenFull !== 'drop-newest') {
      throw new Error(`${field}.whenFull: expected drop-oldest or drop-newest, got ${JSON.stringify(config.whenFull)}`);
    }
    options.whenFull = config.whenFull;
  }
  if (config.retryMin !== undefined) options.retryMinMs = parseOutboxDuration(config.retryMin, `${field}.retryMin`);
  if (config.retryMax !== undefined) options.retryMaxMs = parseOutboxDuration(config.retryMax, `${field}.retryMax`);
  if (options.retryMaxMs < options.retryMinMs) {
    throw new Error(`${field}.retryMax (${options.retryMaxMs}ms) must not be shorter than ${field}.retryMin (${options.retryMinMs}ms)`);
  }
  return options;
}
