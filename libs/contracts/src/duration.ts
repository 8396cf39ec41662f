/**
 * Go-style duration strings as EdgeX uses them (`500ms`, `20s`, `1m`, `1h30m`,
 * `1.5h`). Parsed to milliseconds; anything else is refused.
 */
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/u;
const PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gu;

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
