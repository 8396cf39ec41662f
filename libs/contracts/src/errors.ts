/**
 * Error kinds shared by every service. Each kind maps to one HTTP status in
 * libs/service-kit (the only place that knows about HTTP), so a lib or driver
 * throws a kind and never chooses a status code itself. Names follow EdgeX's
 * error kinds so logs read the same.
 */
export const ErrorKind = {
  ContractInvalid: 'ContractInvalid', // 400: the input breaks the contract (field named)
  NotAllowed: 'NotAllowed', // 405: e.g. writing a read-only resource
  EntityNotFound: 'EntityDoesNotExist', // 404
  DuplicateName: 'DuplicateName', // 409
  StatusConflict: 'StatusConflict', // 409: e.g. a profile still in use
  ServiceLocked: 'ServiceLocked', // 423
  RangeNotSatisfiable: 'RangeNotSatisfiable', // 416: offset past the end
  PayloadTooLarge: 'PayloadTooLarge', // 413
  Unauthorized: 'Unauthorized', // 401
  ServiceUnavailable: 'ServiceUnavailable', // 503
  NotImplemented: 'NotImplemented', // 501: this service cannot do that at all (e.g. a driver that cannot scan a profile)
  Timeout: 'Timeout', // 504
  Communication: 'CommunicationError', // 502/503: a peer (broker, device) failed
  Database: 'DatabaseError', // 500
  Config: 'ConfigInvalid', // boot-time: a setting is wrong, the service must not start
  Unknown: 'UnknownError', // 500
} as const;
export type ErrorKind = (typeof ErrorKind)[keyof typeof ErrorKind];

export class GatewayError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'GatewayError';
  }

  static is(err: unknown, kind?: ErrorKind): err is GatewayError {
    return err instanceof GatewayError && (kind === undefined || err.kind === kind);
  }
}

/** Kinds that mean the peer could not be reached or did not answer in time, as opposed to refusing what it was asked. */
const UNREACHABLE_KINDS: ReadonlySet<ErrorKind> = new Set([ErrorKind.Communication, ErrorKind.Timeout, ErrorKind.ServiceUnavailable]);

/** Whether a failure says the peer was not reachable (retry quietly) rather than that it refused (worth an error). */
export function isUnreachable(err: unknown): boolean {
  return GatewayError.is(err) && UNREACHABLE_KINDS.has(err.kind);
}

/**
 * The kind an HTTP status (or a status carried in an EdgeX response payload)
 * stands for, so an answer from another service can be rethrown and mapped
 * out again unchanged. Statuses without a kind of their own keep their class.
 */
export function errorKindForStatus(statusCode: number): ErrorKind {
  const kind = KIND_BY_STATUS[statusCode];
  if (kind) return kind;
  return statusCode >= 400 && statusCode < 500 ? ErrorKind.ContractInvalid : ErrorKind.Communication;
}

const KIND_BY_STATUS: Record<number, ErrorKind> = {
  400: ErrorKind.ContractInvalid,
  401: ErrorKind.Unauthorized,
  404: ErrorKind.EntityNotFound,
  405: ErrorKind.NotAllowed,
  409: ErrorKind.StatusConflict,
  413: ErrorKind.PayloadTooLarge,
  416: ErrorKind.RangeNotSatisfiable,
  423: ErrorKind.ServiceLocked,
  500: ErrorKind.Unknown,
  501: ErrorKind.NotImplemented,
  503: ErrorKind.ServiceUnavailable,
  504: ErrorKind.Timeout,
};

/** Wraps anything thrown into a GatewayError, keeping kinds that are already set. */
export function toGatewayError(err: unknown, fallback: ErrorKind = ErrorKind.Unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new GatewayError(fallback, message, { cause: err });
}

/** A validation problem at one place of an input document. */
export interface FieldIssue {
  /** Dotted path such as `deviceResources[2].properties.valueType`. */
  path: string;
  message: string;
  /** 1-based line in the source file, when the input was YAML/JSON text. */
  line?: number;
  column?: number;
}

/**
 * A ContractInvalid error that names every offending field (and line, for YAML).
 * The message reads `file:line: path: message` per issue so an operator can jump to it.
 */
export class ValidationError extends GatewayError {
  constructor(
    readonly issues: FieldIssue[],
    readonly source?: string,
  ) {
    super(ErrorKind.ContractInvalid, formatIssues(issues, source));
    this.name = 'ValidationError';
  }
}

export function formatIssues(issues: FieldIssue[], source?: string): string {
  return issues
    .map((i) => {
      const where = [source, i.line !== undefined ? String(i.line) : undefined].filter(Boolean).join(':');
      return `${where ? where + ': ' : ''}${i.path ? i.path + ': ' : ''}${i.message}`;
    })
    .join('; ');
}
