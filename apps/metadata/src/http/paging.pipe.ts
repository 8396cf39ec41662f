import { Inject, Injectable } from '@nestjs/common';
import { MAX_RESULT_COUNT } from '@gw/service-kit';
import { PagingInput, toPageQuery } from '../domain/paging';
import { LabelledPageQuery } from '../persistence/document-store';

/** Turns EdgeX's offset/limit/labels query parameters into a LabelledPageQuery (400 on bad values). */
@Injectable()
export class Paging {
  constructor(@Inject(MAX_RESULT_COUNT) private readonly maxResultCount: number) {}

  of(query: PagingInput): LabelledPageQuery {
    return toPageQuery(query, this.maxResultCount);
  }
}
