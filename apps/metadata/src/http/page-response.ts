import { countResponse } from '@gw/service-kit';
import { Page } from '../persistence/document-store';

/** `{apiVersion, statusCode, totalCount, <key>: [...]}`, EdgeX's Multi*Response. */
export function page<T>(key: string, result: Page<T>) {
  return countResponse(result.totalCount, { [key]: result.items });
}
