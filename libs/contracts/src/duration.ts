/**
 * Go-style duration strings as EdgeX uses them (`500ms`, `20s`, `1m`, `1h30m`,
 * `1.5h`, `.5s`). Parsed to milliseconds; anything else is refused, including a
 * bare number (`5`: Go accepts only `0` unitless, and a unitless interval is
 * almost always a mistake) and signs (a negative duration is never meaningful here).
 */
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/u;
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gu;

export function isDuration(text: string): boolean {
  return DURATION.test(text);
}

export function parseDuration(text: string): number {
  if (!isDuration(text)) {
    throw new Error(`"${text}" is not a duration such as 500ms, 20s, 1m or 1h30m`);
  }
  let ms = 0;
  for (const [, amount, unit] of text.matchAll(PART)) ms += Number(amount) * UNIT_MS[unit];
  return ms;
}
