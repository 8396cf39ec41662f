/**
 * EdgeX's query and path parameters of the event and reading listings, each
 * checked with a 400 that names it.
 */
import { ErrorKind, GatewayError, PageQuery, readBoolFlag } from '@gw/contracts';
import { parsePaging } from '@gw/service-kit';

export interface ListingQuery {
  offset?: string;
  limit?: string;
  numeric?: string;
  aggregateFunc?: string;
}

/**
 * offset >= -1 (default 0; -1 = from the start without counting the total, as
 * EdgeX), limit >= -1 (default 20; -1 = all, capped at maxResultCount like
 * every larger limit).
 */
export function toPageRequest(query: ListingQuery, maxResultCount: number): PageQuery {
  return parsePaging(query, maxResultCount, { uncountedOffset: true });
}

/** `numeric=true`: values of numeric readings as JSON numbers instead of strings. */
export function wantsNumeric(query: ListingQuery): boolean {
  return readBoolFlag(query.numeric, 'numeric', false);
}

/** Path parameters `start` and `end`: nanosecond timestamps, end not before start. */
export function toTimeRange(start: string, end: string): { start: number; end: number } {
  const range = { start: nanos('start', start), end: nanos('end', end) };
  if (range.end < range.start) {
    throw new GatewayError(ErrorKind.ContractInvalid, `end (${end}) must not be before start (${start})`);
  }
  return range;
}

/** A nanosecond count in a path (a timestamp, or DELETE /event/age's age). */
export function nanos(name: string, raw: string): number {
  if (!/^\d{1,20}$/.test(raw)) {
    throw new GatewayError(ErrorKind.ContractInvalid, `${name}: expected a non-negative integer of nanoseconds, got "${raw}"`);
  }
  return Number(raw);
}
