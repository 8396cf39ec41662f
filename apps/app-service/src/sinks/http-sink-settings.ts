/**
 * What an http sink takes from its entry in the pipelines file, checked.
 * Light on purpose (no HTTP agent): the pipelines file is checked with it at
 * load, and the sink builds itself from it.
 */
import { parseDuration } from '@gw/contracts';
import type { HttpSinkConfig } from './sink-config';
import { TlsOptions, tlsOptions } from './tls';

const DEFAULT_TIMEOUT_MS = 10_000;

export interface HttpSinkSettings {
  timeoutMs: number;
  tls: TlsOptions;
}

export function httpSinkSettings(config: HttpSinkConfig): HttpSinkSettings {
  return { timeoutMs: timeoutMs(config.timeout), tls: tlsOptions(config.tls) };
}

/** `timeout` from the pipelines file: a duration (`10s`, `500ms`) or a number of milliseconds. */
export function timeoutMs(value: string | number | undefined): number {
  if (value === undefined) return DEFAULT_TIMEOUT_MS;
  const ms = typeof value === 'number' ? value : parseDuration(value);
  if (!(ms > 0)) throw new Error(`timeout must be positive, got ${JSON.stringify(value)}`);
  return ms;
}
