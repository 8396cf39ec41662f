/**
 * Structured logs with the service name on every line, so the one-process
 * gateway's interleaved output can still be filtered per service: JSON lines
 * for docker logs, files and pipes; on a terminal (GW_LOG_FORMAT=auto, the
 * default) one readable, coloured line per event (pino-pretty, loaded only
 * then, writing synchronously: no transport thread). Nest's own messages go
 * through the same pino logger.
 */
import { LoggerService } from '@nestjs/common';
import pino, { DestinationStream, Level, Logger } from 'pino';
import type { LogFormat, LogLevel } from './config';

export type { Logger } from 'pino';

/**
 * Paths pino blanks out even if some code logs a request or a config object.
 * Code must still not log secrets on purpose; this is the safety net.
 */
export const LOG_REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers.cookie',
  'apiKey',
  'password',
  'config.apiKey',
  'config.password',
  '*.apiKey',
  '*.password',
  '*.secret',
  '*.token',
];

let processFormat: LogFormat = 'auto';
let prettyOutput: DestinationStream | undefined;

/** The process's log format (GW_LOG_FORMAT), set once at boot before the loggers are made; output is the process's. */
export function setLogFormat(format: LogFormat): void {
  processFormat = format;
}

/** Where loggers without a destination write: a readable stream on a terminal (or when asked), else stdout as JSON. */
function defaultDestination(): DestinationStream | undefined {
  const pretty = processFormat === 'pretty' || (processFormat === 'auto' && process.stdout.isTTY === true);
  if (!pretty) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pinoPretty = require('pino-pretty') as (options: object) => DestinationStream;
  prettyOutput ??= pinoPretty({
    colorize: process.stdout.isTTY === true,
    sync: true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service',
    messageFormat: '{service}: {msg}',
  });
  return prettyOutput;
}

export function createLogger(
  service: string,
  level: LogLevel | Level = 'info',
  destination: DestinationStream | undefined = defaultDestination(),
): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Level names ("info") rather than numbers read better in `docker logs` and in grep.
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: LOG_REDACT_PATHS, censor: '***' },
  };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * Nest's bootstrap chatter (modules loaded, each route mapped) is useful when
 * debugging and noise otherwise: it goes to debug.
 */
const CHATTY_CONTEXTS = new Set([
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestFactory',
  'NestApplication',
]);

const STACK = /\n\s+at /;

/**
 * Nest LoggerService on top of pino. Nest calls `log(message, context)` and
 * `error(message, stack?, context?)`; context becomes a field, a stack becomes
 * `err.stack`.
 *
 * Nest's Logger is process-global (Logger.overrideLogger): in the one-process
 * gateway Nest's own messages carry the name of the last service created.
 * Application code should inject SERVICE_LOGGER instead of using Nest's Logger.
 */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    const context = contextOf(params);
    this.write(context && CHATTY_CONTEXTS.has(context) ? 'debug' : 'info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: Level, message: unknown, params: unknown[]): void {
    const fields: Record<string, unknown> = {};
    const context = contextOf(params);
    if (context) fields.context = context;
    const stack = params.find((p): p is string => typeof p === 'string' && STACK.test(p));
    if (message instanceof Error) {
      this.logger[level]({ ...fields, err: message }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      this.logger[level]({ ...fields, ...message });
    } else {
      if (stack) fields.err = { stack };
      this.logger[level](fields, String(message));
    }
  }
}

/** Nest passes the context as the last string argument (a stack trace is not a context). */
function contextOf(params: unknown[]): string | undefined {
  const last = params[params.length - 1];
  return typeof last === 'string' && !STACK.test(last) ? last : undefined;
}
