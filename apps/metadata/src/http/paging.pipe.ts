import { Inject, Injectable } from '@nestjs/common';
import { PagingInput, toPageQuery } from '../domain/paging';
import { PageQuery } from '../persistence/document-store';

export const MAX_RESULT_COUNT = Symbol('MAX_RESULT_COUNT');

/** Turns EdgeX's offset/limit/labels query parameters into a PageQuery (400 on bad values). */
@Injectable()
export class Paging {
  constructor(@Inject(MAX_RESULT_COUNT) private readonly maxResultCount: number) {}

  of(query: PagingInput): PageQuery {
    return toPageQuery(query, this.maxResultCount);
  }
}
