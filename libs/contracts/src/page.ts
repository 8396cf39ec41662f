/**
 * Which part of a listing to return: EdgeX's `offset` and `limit`, checked and
 * capped from the query string by service-kit's parsePaging.
 */
export interface PageQuery {
  offset: number;
  /** Already capped at the service's MaxResultCount. */
  limit: number;
  /** False for EdgeX's `offset=-1` (core-data): start at 0 and skip counting; totalCount is then 0. */
  countTotal: boolean;
}

/** One page of a listing, and how many items the whole listing holds (0 when not counted). */
export interface Page<T> {
  items: T[];
  totalCount: number;
}
