import { parsePaging } from '@gw/service-kit';
import { PageQuery } from '../persistence/document-store';

export interface PagingInput {
  offset?: string;
  limit?: string;
  labels?: string;
}

/** EdgeX listing parameters: offset/limit (shared rules in service-kit) and comma-separated labels. */
export function toPageQuery(input: PagingInput, maxResultCount: number): PageQuery {
  const { offset, limit } = parsePaging(input, maxResultCount);
  const labels = input.labels
    ?.split(',')
    .map((l) => l.trim())
    .filter(Boolean);
  return { offset, limit, labels };
}
