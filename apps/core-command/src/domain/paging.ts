import { ErrorKind, GatewayError } from '@gw/contracts';
import type { Paging } from '@gw/service-kit';

export type PageQuery = Pick<Paging, 'offset' | 'limit'>;

/** One page of a list; an offset past the end answers 416 as core-metadata does. */
export function pageOf<T>(items: T[], query: PageQuery, what: string): T[] {
  if (query.offset > 0 && query.offset >= items.length) {
    throw new GatewayError(ErrorKind.RangeNotSatisfiable, `offset ${query.offset} is past the last of ${items.length} ${what}`);
  }
  return items.slice(query.offset, query.offset + query.limit);
}
