/**
 * EdgeX v3 response envelopes (core-metadata.yaml: BaseResponse, ErrorResponse,
 * BaseWithIdResponse, BaseWithTotalCountResponse). Every JSON answer carries
 * `apiVersion` and `statusCode`; `requestId` echoes the client's requestId from
 * the request DTO when there was one. Batch adds answer 207 with one envelope
 * per item, each with its own statusCode.
 */
import { API_VERSION, isValidRequestId } from '@gw/contracts';
import { describeError } from './errors';

export interface BaseResponse {
  apiVersion: typeof API_VERSION;
  requestId?: string;
  statusCode: number;
}

export interface ErrorResponse extends BaseResponse {
  message: string;
}

export type BaseWithIdResponse = BaseResponse & { id: string };
export type BaseWithTotalCountResponse = BaseResponse & { totalCount: number };

/** HTTP status of a batch answer; use as `@HttpCode(MULTI_STATUS)`. */
export const MULTI_STATUS = 207;

function base(statusCode: number, requestId?: string): BaseResponse {
  return requestId ? { apiVersion: API_VERSION, requestId, statusCode } : { apiVersion: API_VERSION, statusCode };
}

/** `okResponse({ device })` -> `{ apiVersion, statusCode: 200, device }`. */
export function okResponse<T extends object = Record<never, never>>(
  body?: T,
  statusCode = 200,
  requestId?: string,
): BaseResponse & T {
  return { ...base(statusCode, requestId), ...(body as T) };
}

/** An add that created an entity: `{ apiVersion, statusCode: 201, id }`. */
export function idResponse(id: string, statusCode = 201, requestId?: string): BaseWithIdResponse {
  return { ...base(statusCode, requestId), id };
}

/** A page of a larger collection: `countResponse(120, { devices })`. */
export function countResponse<T extends object>(
  totalCount: number,
  body: T,
  requestId?: string,
): BaseWithTotalCountResponse & T {
  return { ...base(200, requestId), totalCount, ...body };
}

export function errorResponse(statusCode: number, message: string, requestId?: string): ErrorResponse {
  return { ...base(statusCode, requestId), message };
}

/** One item of a batch: a success envelope, or the error the item failed with. */
export type ItemOutcome = BaseResponse | ErrorResponse;

export interface ItemOptions {
  /** Status of a successful item: 201 for adds (default), 200 for updates. */
  successStatus?: number;
  /** Called for each failed item, e.g. to log 5xx ones. */
  onError?: (err: unknown, statusCode: number) => void;
}

/**
 * Runs one item of a batch and turns the outcome into its envelope, so one bad
 * item never fails the others. `work` returns extra fields for the success
 * envelope (typically `{ id }`); errors map exactly as the HTTP error filter maps them.
 */
export async function settleItem(
  requestId: string | undefined,
  work: () => Promise<object | void>,
  options: ItemOptions = {},
): Promise<ItemOutcome> {
  try {
    const extra = await work();
    return { ...base(options.successStatus ?? 201, requestId), ...(extra ?? {}) };
  } catch (err) {
    const { statusCode, message } = describeError(err);
    options.onError?.(err, statusCode);
    return errorResponse(statusCode, message, requestId);
  }
}

/**
 * The 207 body for a batch request (EdgeX adds and updates): items run one after
 * the other in request order, so a later item sees what an earlier one created
 * (and a duplicate name inside one batch gets 409, deterministically).
 *
 *   @Post('device') @HttpCode(MULTI_STATUS)
 *   add(@Body() body: AddDeviceRequest[]) {
 *     return multiStatus(body, async (r) => ({ id: await this.devices.add(r.device) }));
 *   }
 */
export async function multiStatus<R extends { requestId?: string }>(
  requests: R[],
  handle: (request: R, index: number) => Promise<object | void>,
  options: ItemOptions = {},
): Promise<ItemOutcome[]> {
  const outcomes: ItemOutcome[] = [];
  for (const [i, request] of requests.entries()) {
    // Only an id EdgeX would accept (empty or a UUID) is echoed; the handler refuses the others.
    outcomes.push(await settleItem(isValidRequestId(request.requestId) ? request.requestId : undefined, () => handle(request, i), options));
  }
  return outcomes;
}
