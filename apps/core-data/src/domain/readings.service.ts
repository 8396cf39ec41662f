import type { Page, PageQuery, Reading } from '@gw/contracts';
import type { EventStore, ReadingFilter } from '../persistence/event-store';
import { AggregatedReading, AggregateFunc, toAggregated } from './aggregate';

const NUMERIC_TYPES = new Set([
  'Uint8', 'Uint16', 'Uint32', 'Uint64', 'Int8', 'Int16', 'Int32', 'Int64', 'Float32', 'Float64',
]);

export class ReadingsService {
  constructor(private readonly store: EventStore) {}

  async page(filter: ReadingFilter, page: PageQuery, numeric = false): Promise<Page<Reading>> {
    const result = await this.store.readings(filter, page);
    if (numeric) result.items = result.items.map(asNumeric);
    return result;
  }

  count(filter: ReadingFilter): Promise<number> {
    return this.store.countReadings(filter);
  }

  async aggregate(filter: ReadingFilter, fn: AggregateFunc): Promise<AggregatedReading[]> {
    return (await this.store.aggregateReadings(filter, fn)).map((row) => toAggregated(fn, row));
  }
}

/**
 * EdgeX's `numeric=true`: a numeric reading's value as a JSON number (large
 * 64-bit integers lose precision, as EdgeX warns); anything else unchanged.
 */
export function asNumeric(reading: Reading): Reading {
  const value = (reading as { value?: unknown }).value;
  if (!NUMERIC_TYPES.has(reading.valueType) || typeof value !== 'string') return reading;
  const number = Number(value);
  return Number.isFinite(number) && value.trim() !== '' ? ({ ...reading, value: number } as unknown as Reading) : reading;
}
