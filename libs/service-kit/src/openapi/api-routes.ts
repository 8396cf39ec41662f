/**
 * A service's REST routes as its OpenAPI document describes them: each route
 * said once, with the zod schemas its handlers validate with. Light on
 * purpose (zod only): the document itself is built on first request by
 * ./document.ts, which loads zod-to-openapi then.
 */
import { z } from 'zod';
import { API_VERSION } from '@gw/contracts';

/** Where every route lives (bootstrap.ts API_PREFIX, with its slash). */
export const API_BASE = '/api/v3';

export type ApiMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** A success answer: JSON (`schema`) or content of its own type (`contentType`, e.g. Prometheus text). */
export interface ApiAnswer {
  status: number;
  description: string;
  schema?: z.ZodTypeAny;
  contentType?: string;
  /** Besides JSON, files of these types (a driver route's certificate or YAML draft). */
  orContentTypes?: readonly string[];
}

export interface ApiRoute {
  method: ApiMethod;
  /** Below /api/v3, OpenAPI style: `/device/name/{name}`. */
  path: string;
  /** Unique in the document; named after EdgeX's Go client calls where EdgeX has the route. */
  operationId: string;
  summary: string;
  tag: string;
  params?: z.AnyZodObject;
  query?: z.AnyZodObject;
  /** A JSON body; `bodyTypes` adds other media types (YAML, multipart) with their own schema. */
  body?: z.ZodTypeAny;
  bodyTypes?: Record<string, z.ZodTypeAny>;
  /** The success answers. */
  ok: readonly ApiAnswer[];
  /** Error statuses besides those every route has (401, 500; 400, 413 and 415 with a body): each answers an ErrorResponse. */
  errors?: readonly number[];
  /** Served without the API key (ping, ready). */
  open?: boolean;
}

export interface ServiceApi {
  /** The service's title in the document, e.g. `core-metadata`. */
  title: string;
  description: string;
  routes: readonly ApiRoute[];
  /** Schemas shown under components/schemas by these names (referenced wherever a route uses them). */
  schemas?: Record<string, z.ZodTypeAny>;
}

/** Error statuses every route may answer: 401 without the key (when one is set), 500 for our bugs. */
export const COMMON_ERRORS = [401, 500] as const;
/** ...and a route with a body: malformed (400), too large (413), of a type it does not take (415). */
export const BODY_ERRORS = [400, 413, 415] as const;

/** The statuses a route documents, sorted. */
export function documentedStatuses(route: ApiRoute): number[] {
  const body = route.body || route.bodyTypes ? BODY_ERRORS : [];
  const all = new Set<number>([...route.ok.map((a) => a.status), ...(route.open ? [500] : COMMON_ERRORS), ...body, ...(route.errors ?? [])]);
  return [...all].sort((a, b) => a - b);
}

// ---- EdgeX v3 envelopes (core-metadata.yaml BaseResponse and its kin) ----

/** Empty or a UUID, as EdgeX's BaseRequest validates it. */
export const RequestId = z.union([z.literal(''), z.string().uuid()]);

export const BaseResponseSchema = z.object({
  apiVersion: z.literal(API_VERSION),
  requestId: z.string().optional(),
  statusCode: z.number().int(),
});
export const ErrorResponseSchema = BaseResponseSchema.extend({ message: z.string() });
export const BaseWithIdResponseSchema = BaseResponseSchema.extend({ id: z.string() });
/** One item of a 207 batch answer: its own statusCode, an id for a created entity, a message on failure. */
export const BatchItemResponse = BaseResponseSchema.extend({ id: z.string().optional(), message: z.string().optional() });
export const MultiStatusResponse = z.array(BatchItemResponse);

/** `{apiVersion, statusCode, ...fields}`. */
export function okWith(shape: z.ZodRawShape) {
  return BaseResponseSchema.extend(shape).strict();
}

/** `{apiVersion, statusCode, totalCount, <key>: [item]}`, EdgeX's Multi*Response. */
export function pageOf(key: string, item: z.ZodTypeAny) {
  return BaseResponseSchema.extend({ totalCount: z.number().int(), [key]: z.array(item) }).strict();
}

/** A batch request body: `[{apiVersion, requestId?, <key>: item}]` (keys read as EdgeX reads them). */
export function batchOf(key: string, item: z.ZodTypeAny, siblings: z.ZodRawShape = {}) {
  return z.array(z.object({ apiVersion: z.string().optional(), requestId: RequestId.optional(), ...siblings, [key]: item })).min(1);
}

export const ok200 = (description: string, schema: z.ZodTypeAny = BaseResponseSchema.strict()): ApiAnswer => ({ status: 200, description, schema });
export const multiStatusAnswer = (description: string): ApiAnswer => ({ status: 207, description, schema: MultiStatusResponse });

/** EdgeX's offset/limit/labels listing parameters. */
export const PagingQuery = z.object({
  offset: z.string().regex(/^-?\d+$/).optional().describe('items to skip (default 0)'),
  limit: z.string().regex(/^-?\d+$/).optional().describe('items to answer (default 20, -1 for all up to the maximum)'),
});
export const LabelledPagingQuery = PagingQuery.extend({ labels: z.string().optional().describe('comma-separated labels, all required') });

/** A boolean query flag as readBoolFlag takes it (cast.ToBool's forms, any case; empty is the default); anything else is a 400. */
export function boolFlagQuery(what: string) {
  return z.string().regex(/^(1|0|t|f|true|false)?$/i).optional().describe(`${what} (1, t, true / 0, f, false, any case)`);
}

/** `{name}` in a path, any other single parameter the same way. */
export function pathParams<K extends string>(...names: K[]) {
  return z.object(Object.fromEntries(names.map((n) => [n, z.string()])) as Record<K, z.ZodString>);
}
