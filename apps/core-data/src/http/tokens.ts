/** Upper bound of `limit` on listings (EdgeX's MaxResultCount), injected into the controllers. */
export const MAX_RESULT_COUNT = Symbol('core-data.maxResultCount');
