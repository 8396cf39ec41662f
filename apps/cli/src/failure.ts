import { HttpCallError } from '@gw/clients';
import { ErrorKind, GatewayError, redactUrl, ValidationError } from '@gw/contracts';

/** Exit codes scripts can rely on (README "Command line (gw)"). */
export const ExitCode = {
  Ok: 0,
  /** A service answered with an error (any 4xx/5xx, or an item of a batch refused): its message is printed. */
  Refused: 1,
  /** Wrong use: unknown command or option, a missing argument, a bad name=value, an unreadable or invalid file. */
  Usage: 2,
  /** A service could not be reached: connection refused, unknown host, no answer in time. */
  Unreachable: 3,
  /** A GW_* variable is wrong (as the services exit with 78). */
  Config: 78,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Thrown by a command for a mistake of the user's that no service saw. */
export class UsageError extends Error {}

/** Something `gw` needs (a broker, a stream) did not answer: exit code 3, like a service that cannot be reached. */
export class UnreachableError extends Error {}

/** A failure already told to the user (a batch with refused items): exit with `code`, print nothing more. */
export class Reported extends Error {
  constructor(readonly code: ExitCode) {
    super(`exit ${code}`);
  }
}

export interface KnownService {
  name: string;
  url: string;
  variable: string;
}

/** The one line `gw` prints for a failure, and its exit code. */
export function describeFailure(err: unknown, services: KnownService[]): { code: ExitCode; message?: string } {
  if (err instanceof Reported) return { code: err.code };
  if (err instanceof UsageError || err instanceof ValidationError) return { code: ExitCode.Usage, message: err.message };
  if (err instanceof UnreachableError) return { code: ExitCode.Unreachable, message: err.message };
  if (err instanceof HttpCallError) {
    if (err.statusCode !== undefined) {
      return { code: ExitCode.Refused, message: `${err.message} (${err.statusCode} from ${err.method} ${err.url})` };
    }
    const service = services.find((s) => err.url.startsWith(redactUrl(s.url).replace(/\/$/, '') + '/'));
    const who = service ? `${service.name} at ${redactUrl(service.url)}` : err.url;
    const why = err.kind === ErrorKind.Timeout ? 'no answer in time' : reasonOf(err);
    const hint = service ? `: is the gateway running? (${service.variable} sets the address)` : '';
    return { code: ExitCode.Unreachable, message: `cannot reach ${who} (${why})${hint}` };
  }
  if (GatewayError.is(err, ErrorKind.Config)) return { code: ExitCode.Config, message: `configuration error: ${err.message}` };
  if (GatewayError.is(err)) return { code: ExitCode.Refused, message: err.message };
  if ((err as NodeJS.ErrnoException)?.code === 'ENOENT' || (err as NodeJS.ErrnoException)?.code === 'EACCES') {
    return { code: ExitCode.Usage, message: (err as Error).message };
  }
  return { code: ExitCode.Refused, message: (err as Error)?.message ?? String(err) };
}

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'unknown host',
  EAI_AGAIN: 'host name lookup failed',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ETIMEDOUT: 'connection timed out',
};

function reasonOf(err: HttpCallError): string {
  const cause = (err.cause as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  return (cause?.code && REASONS[cause.code]) ?? cause?.code ?? cause?.message ?? 'no connection';
}
