import { edgexKey, ErrorKind, GatewayError, requestIdIssue } from '@gw/contracts';
import { ItemOutcome, Logger, multiStatus } from '@gw/service-kit';

type BatchRequest = Record<string, unknown> & { requestId?: string };

/**
 * EdgeX batch requests: an array of `{apiVersion, requestId?, <key>: {...}}`,
 * their keys found as EdgeX finds them (exactly, else case-insensitively:
 * `provisionwatcher` and `provisionWatcher` both name the watcher).
 * Each item succeeds or fails on its own (207 multi-status), so one bad device
 * never refuses its neighbours. `work` gets the item, the path that names it in
 * error messages (`[2].device`) and the whole request (for siblings such as
 * `profileName`).
 */
export function runBatch(
  body: unknown,
  key: string,
  successStatus: number,
  work: (item: unknown, path: string, request: BatchRequest) => Promise<{ id?: string } | void>,
  log?: Pick<Logger, 'error'>,
): Promise<ItemOutcome[]> {
  if (!Array.isArray(body)) {
    throw new GatewayError(ErrorKind.ContractInvalid, `request body: expected an array of {apiVersion, ${key}} requests`);
  }
  const requests = body.map((request) => (isObject(request) ? { ...request, requestId: edgexKey(request, 'requestId'), [key]: edgexKey(request, key) } : {})) as BatchRequest[];
  return multiStatus(
    requests,
    async (request, index) => {
      const badRequestId = requestIdIssue(request.requestId, `[${index}].requestId`);
      if (badRequestId) throw new GatewayError(ErrorKind.ContractInvalid, `${badRequestId.path}: ${badRequestId.message}`);
      if (request[key] === undefined) throw new GatewayError(ErrorKind.ContractInvalid, `[${index}].${key}: is required`);
      const result = await work(request[key], `[${index}].${key}`, request);
      return result?.id && successStatus === 201 ? { id: result.id } : undefined;
    },
    { successStatus, onError: (err, statusCode) => statusCode >= 500 && log?.error({ err }, 'batch item failed') },
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
