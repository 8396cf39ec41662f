import { ErrorKind, GatewayError } from '@gw/contracts';
import { PageQuery } from '../persistence/document-store';

export interface PagingInput {
  offset?: string;
  limit?: string;
  labels?: string;
}

/**
 * EdgeX query parameters: offset >= 0 (default 0), limit >= -1 (default 20,
 * -1 = all, capped at maxResultCount), labels comma-separated.
 */
export function toPageQuery(input: PagingInput, maxResultCount: number): PageQuery {
  const offset = integer('offset', input.offset, 0, 0);
  let limit = integer('limit', input.limit, 20, -1);
  if (limit === -1 || limit > maxResultCount) limit = maxResultCount;
  const labels = input.labels
    ?.split(',')
    .map((l) => l.trim())
    .filter(Boolean);
  return { offset, limit, labels };
}

function integer(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new GatewayError(ErrorKind.ContractInvalid, `query parameter ${name}: expected an integer >= ${min}, got "${raw}"`);
  }
  return value;
}
