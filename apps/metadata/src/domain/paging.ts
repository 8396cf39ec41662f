import { parsePaging } from '@gw/service-kit';
import { LabelledPageQuery } from '../persistence/document-store';

export interface PagingInput {
  offset?: string;
  limit?: string;
  labels?: string;
}

/** EdgeX listing parameters: offset/limit (shared rules in service-kit) and comma-separated labels. */
export function toPageQuery(input: PagingInput, maxResultCount: number): LabelledPageQuery {
  const paging = parsePaging(input, maxResultCount);
  const labels = input.labels
    ?.split(',')
    .map((l) => l.trim())
    .filter(Boolean);
  return { ...paging, labels };
}
