import type { Page } from '@gw/contracts';
import { countResponse } from '@gw/service-kit';

/** `{apiVersion, statusCode, totalCount, <key>: [...]}`, EdgeX's Multi*Response. */
export function page<T>(key: string, result: Page<T>) {
  return countResponse(result.totalCount, { [key]: result.items });
}
