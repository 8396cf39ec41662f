/**
 * autoEvents with `onChange: true` publish only when a reading differs from
 * the one last *published* for that device and source (comparing with the last
 * published, not the last read, lets a slow drift add up until it crosses
 * `onChangeThreshold`). Numbers differ when |new - old| > threshold (any
 * change when no threshold); other values when their text, bytes or JSON differ.
 */
import { Reading } from '@gw/contracts';
import { numericValue } from './values';

type Last = Map<string, number | string>;

export class OnChangeFilter {
  private readonly last = new Map<string, Last>();

  /** Whether the readings should be published; when they are, they become the new reference. */
  admit(deviceName: string, sourceName: string, readings: Reading[], threshold = 0): boolean {
    const key = deviceName + '\u0000' + sourceName;
    const previous = this.last.get(key);
    if (previous && !readings.some((r) => differs(previous.get(r.resourceName), r, threshold))) return false;
    const next: Last = previous ?? new Map();
    for (const r of readings) next.set(r.resourceName, comparable(r));
    this.last.set(key, next);
    return true;
  }

  forgetDevice(deviceName: string): void {
    const prefix = deviceName + '\u0000';
    for (const key of this.last.keys()) if (key.startsWith(prefix)) this.last.delete(key);
  }
}

function comparable(reading: Reading): number | string {
  const n = numericValue(reading);
  if (n !== undefined && !Number.isNaN(n)) return n;
  if ('value' in reading) return reading.value;
  if ('binaryValue' in reading) return reading.binaryValue;
  return JSON.stringify(reading.objectValue);
}

function differs(old: number | string | undefined, reading: Reading, threshold: number): boolean {
  if (old === undefined) return true;
  const now = comparable(reading);
  if (typeof old === 'number' && typeof now === 'number') return Math.abs(now - old) > threshold;
  return now !== old;
}
