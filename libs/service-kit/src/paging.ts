import { ErrorKind, GatewayError, PageQuery } from '@gw/contracts';

/** Nest injection token of the service's MaxResultCount, the cap on `limit` for controllers that page. */
export const MAX_RESULT_COUNT = Symbol('MAX_RESULT_COUNT');

/**
 * EdgeX's `offset` and `limit` query parameters, the same for every service:
 * offset >= 0 (default 0; -1 also where `uncountedOffset` allows it), limit
 * >= -1 (default 20; -1 = all), any limit capped at maxResultCount; a bad value
 * is a 400 naming the parameter.
 */
export function parsePaging(
  query: { offset?: unknown; limit?: unknown },
  maxResultCount: number,
  options: { uncountedOffset?: boolean } = {},
): PageQuery {
  const offset = queryInteger('offset', query.offset, 0, options.uncountedOffset ? -1 : 0);
  let limit = queryInteger('limit', query.limit, 20, -1);
  if (limit === -1 || limit > maxResultCount) limit = maxResultCount;
  return { offset: Math.max(offset, 0), limit, countTotal: offset !== -1 };
}

/** A whole-number query parameter written in plain decimal (no `1e2`, no `0x10`). */
export function queryInteger(name: string, raw: unknown, fallback: number, min: number): number {
  if (raw === undefined || raw === '') return fallback;
  const value = typeof raw === 'string' && /^[+-]?\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new GatewayError(ErrorKind.ContractInvalid, `query parameter ${name}: expected an integer >= ${min}, got ${JSON.stringify(raw)}`);
  }
  return value;
}
