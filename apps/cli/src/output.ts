/**
 * What `gw` prints: human tables by default, JSON with --json (one document on
 * stdout, nothing else there, so `gw ... --json | jq` always parses).
 */
import { writeStdout } from './stdout';

export interface Output {
  json: boolean;
  /** A line for a person (stdout). */
  line(text: string): void;
  /** A value for a script: JSON with --json, otherwise `human()` is printed. */
  result(value: unknown, human: () => void): void;
}

export function createOutput(json: boolean, write: (text: string) => void = writeStdout): Output {
  return {
    json,
    line: (text) => write(text + '\n'),
    result: (value, human) => (json ? write(JSON.stringify(value, null, 2) + '\n') : human()),
  };
}

/** Columns padded to their widest cell; `-` for an empty one. */
export function table(headers: string[], rows: Array<Array<string | number | boolean | undefined>>): string {
  const cells = rows.map((row) => row.map((cell) => (cell === undefined || cell === '' ? '-' : String(cell))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]?.length ?? 0)));
  const format = (row: string[]) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [format(headers), ...cells.map(format)].join('\n');
}

/** `key: value` lines, keys aligned; undefined values left out. */
export function fields(pairs: Array<[string, string | number | boolean | undefined]>): string {
  const shown = pairs.filter(([, value]) => value !== undefined && value !== '');
  const width = Math.max(0, ...shown.map(([key]) => key.length));
  return shown.map(([key, value]) => `${(key + ':').padEnd(width + 1)} ${value}`).join('\n');
}

/** An EdgeX origin (nanoseconds since the epoch) as ISO time. */
export function originTime(origin: number | undefined): string | undefined {
  if (!origin) return undefined;
  const ms = origin > 1e15 ? origin / 1e6 : origin > 1e12 ? origin : origin * 1000;
  return new Date(ms).toISOString();
}
