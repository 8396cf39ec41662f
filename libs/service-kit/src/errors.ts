/**
 * The one place that turns an error into an HTTP status and message. Libraries
 * and drivers throw GatewayError with a kind; HTTP is decided here only.
 */
import { HttpException } from '@nestjs/common';
import { ErrorKind, GatewayError } from '@gw/contracts';

export const HTTP_STATUS_BY_KIND: Record<ErrorKind, number> = {
  [ErrorKind.ContractInvalid]: 400,
  [ErrorKind.Unauthorized]: 401,
  [ErrorKind.EntityNotFound]: 404,
  [ErrorKind.NotAllowed]: 405,
  [ErrorKind.DuplicateName]: 409,
  [ErrorKind.StatusConflict]: 409,
  [ErrorKind.PayloadTooLarge]: 413,
  [ErrorKind.RangeNotSatisfiable]: 416,
  [ErrorKind.ServiceLocked]: 423,
  [ErrorKind.Database]: 500,
  [ErrorKind.Unknown]: 500,
  [ErrorKind.Config]: 500, // a boot-time kind; if it escapes into a request, it is our fault
  [ErrorKind.NotImplemented]: 501,
  [ErrorKind.ServiceUnavailable]: 503,
  [ErrorKind.Communication]: 503,
  [ErrorKind.Timeout]: 504,
};

export interface DescribedError {
  statusCode: number;
  message: string;
}

/** What the request looked like, for clearer messages about fastify's own errors. */
export interface ErrorContext {
  maxBody?: number;
  contentType?: string;
}

/** Message for errors that are not ours: their text may hold internals (SQL, paths). */
export const INTERNAL_ERROR_MESSAGE = 'Internal Server Error';

/**
 * Fastify's (and @fastify/multipart's) messages for request-level failures,
 * rewritten to say what the client should change. Keyed by fastify's message
 * because Nest re-wraps FastifyErrors as HttpException(message, status).
 */
const FASTIFY_MESSAGES: Record<string, (ctx: ErrorContext) => string> = {
  'Request body is too large': (ctx) =>
    `request body is larger than the limit${ctx.maxBody ? ` of ${ctx.maxBody} bytes` : ''} (GW_MAX_BODY)`,
  'request file too large': (ctx) =>
    `uploaded file is larger than the limit${ctx.maxBody ? ` of ${ctx.maxBody} bytes` : ''} (GW_MAX_BODY)`,
  'Unsupported Media Type': (ctx) =>
    `unsupported content type${ctx.contentType ? ` "${ctx.contentType}"` : ''}: send application/json ` +
    '(YAML as application/x-yaml, files as multipart/form-data where an endpoint accepts them)',
};

interface FastifyLikeError extends Error {
  statusCode: number;
  code: string;
}

function isFastifyError(err: unknown): err is FastifyLikeError {
  const e = err as Partial<FastifyLikeError>;
  return (
    err instanceof Error && typeof e.statusCode === 'number' && typeof e.code === 'string' && e.code.startsWith('FST_')
  );
}

export function statusForKind(kind: ErrorKind): number {
  return HTTP_STATUS_BY_KIND[kind] ?? 500;
}

export function describeError(err: unknown, ctx: ErrorContext = {}): DescribedError {
  if (err instanceof GatewayError) return { statusCode: statusForKind(err.kind), message: err.message };
  if (err instanceof HttpException) {
    const statusCode = err.getStatus();
    return { statusCode, message: FASTIFY_MESSAGES[err.message]?.(ctx) ?? httpExceptionMessage(err) };
  }
  if (isFastifyError(err) && err.statusCode >= 400 && err.statusCode < 600) {
    return { statusCode: err.statusCode, message: FASTIFY_MESSAGES[err.message]?.(ctx) ?? err.message };
  }
  return { statusCode: 500, message: INTERNAL_ERROR_MESSAGE };
}

/** Nest's exceptions carry `{ message: string | string[] }` (ValidationPipe lists every field). */
function httpExceptionMessage(err: HttpException): string {
  const response = err.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : err.message;
}
