/**
 * EdgeX's `ds-pushevent` and `ds-returnevent` query parameters, read the same
 * way from a REST query and from a bus envelope's queryParams (and the same
 * way core-command reads them: the rule lives in contracts).
 */
import { PUSH_EVENT, RETURN_EVENT, readEventFlag } from '@gw/contracts';
import type { GetOptions, SetOptions } from './command-executor';

export { PUSH_EVENT, RETURN_EVENT };

export function commandFlags(params: Record<string, unknown> | undefined): Required<GetOptions> {
  return {
    pushEvent: readEventFlag(params, PUSH_EVENT, false),
    returnEvent: readEventFlag(params, RETURN_EVENT, true),
  };
}

/**
 * A PUT's `ds-pushevent`: EdgeX's OpenAPI defines the flag for GET only; here
 * a successful SET publishes the event of the write unless it says false, so
 * every write reaches core-data and the cloud twins (see write-report.ts).
 */
export function setFlags(params: Record<string, unknown> | undefined): Required<SetOptions> {
  return { pushEvent: readEventFlag(params, PUSH_EVENT, true) };
}
