import { ErrorKind, GatewayError } from '@gw/contracts';

export interface PageQuery {
  offset: number;
  limit: number;
}

/**
 * EdgeX's offset/limit: offset >= 0 (default 0), limit >= -1 (default 20,
 * -1 = all), capped at maxResultCount; 400 naming the parameter otherwise.
 */
export function pageQuery(input: { offset?: unknown; limit?: unknown }, maxResultCount: number): PageQuery {
  const offset = integer('offset', input.offset, 0, 0);
  let limit = integer('limit', input.limit, 20, -1);
  if (limit === -1 || limit > maxResultCount) limit = maxResultCount;
  return { offset, limit };
}

/** One page of a list; an offset past the end answers 416 as core-metadata does. */
export function pageOf<T>(items: T[], query: PageQuery, what: string): T[] {
  if (query.offset > 0 && query.offset >= items.length) {
    throw new GatewayError(ErrorKind.RangeNotSatisfiable, `offset ${query.offset} is past the last of ${items.length} ${what}`);
  }
  return items.slice(query.offset, query.offset + query.limit);
}

function integer(name: string, raw: unknown, fallback: number, min: number): number {
  if (raw === undefined || raw === '') return fallback;
  const value = typeof raw === 'string' && /^[+-]?\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(value) || value < min) {
    throw new GatewayError(ErrorKind.ContractInvalid, `query parameter ${name}: expected an integer >= ${min}, got ${JSON.stringify(raw)}`);
  }
  return value;
}
