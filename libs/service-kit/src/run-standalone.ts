import { ErrorKind, GatewayError } from '@gw/contracts';
import { createMessageBus, MessageBus } from '@gw/messaging';
import { toBusConfig, unknownVariableMessage, unknownVariables } from './config';
import { createLogger, Logger, setLogFormat } from './logger';
import { awaitDependencies, busDependency, Dependency } from './startup';
import type { BusSettings, LogFormat, LogLevel } from './config';

export interface StandaloneSettings extends BusSettings {
  serviceName: string;
  host: string;
  port: number;
  logLevel: LogLevel;
  logFormat?: LogFormat;
}

export interface StandaloneOptions {
  /** Every variable the service reads (its config loader's list), to warn about near misses at boot. */
  variables?: Iterable<string>;
  env?: Record<string, string | undefined>;
  /** What to wait for besides the broker before starting (the service's PostgreSQL database). */
  dependencies?: ReadonlyArray<Dependency | undefined>;
}

export interface Closable {
  close(): Promise<void>;
}

/**
 * A service as its own process (docker compose): its logger and its own bus
 * connection (client id = service name), waiting for the broker and database
 * while ping and /ready answer, then `start`; SIGTERM / Ctrl-C close
 * the service before the bus, so pending writes and replies still go out.
 */
export async function runStandalone(
  settings: StandaloneSettings,
  start: (deps: { bus: MessageBus; logger: Logger }) => Promise<Closable>,
  options: StandaloneOptions = {},
): Promise<void> {
  refuseMemoryBus(settings);
  setLogFormat(settings.logFormat ?? 'auto');
  const logger = createLogger(settings.serviceName, settings.logLevel);
  if (options.variables) warnUnknownVariables(logger, settings.serviceName, options.variables, options.env ?? process.env);
  const bus = createMessageBus(toBusConfig(settings, settings.serviceName), logger);
  // A broker or database not there yet: wait, answering ping and /ready on the port, rather than exit.
  const dependencies = [busDependency(bus, settings.busUrl), ...(options.dependencies ?? [])].filter((d) => d !== undefined);
  // From now on a signal stops it cleanly, also while it waits for its broker or is still starting
  // (a service can log 'listening' before its start has finished: core-data loading the devices).
  let starting: Promise<Closable> | undefined;
  closeOnSignals(logger, async () => {
    const service = await starting?.catch(() => undefined);
    await service?.close();
    await bus.close();
  });
  try {
    await awaitDependencies(dependencies, { logger, host: settings.host, endpoints: [settings] });
    starting = start({ bus, logger });
    await starting;
  } catch (err) {
    await bus.close().catch(() => undefined);
    throw err;
  }
}

/**
 * Runs `close` on the first SIGTERM or SIGINT, then exits (1 if closing
 * failed). Closing flushes queued writes, so it gets time, but not forever:
 * after `deadlineMs`, or at a second signal (an operator pressing Ctrl-C
 * again), the process exits at once.
 */
export function closeOnSignals(logger: Logger, close: () => Promise<void>, deadlineMs = 30_000): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting without waiting for the shutdown');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'stopping');
    const deadline = setTimeout(() => {
      logger.error({ deadlineMs }, 'shutdown took too long: exiting');
      process.exit(1);
    }, deadlineMs);
    deadline.unref();
    try {
      await close();
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'stopping failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/**
 * The in-process bus connects only services in the same process: a service in
 * its own process on it would serve REST while its events, commands and
 * system events reach nobody (core-command answering 504 after 10 s). Refused.
 */
export function refuseMemoryBus(settings: Pick<StandaloneSettings, 'busType' | 'serviceName'>): void {
  if (settings.busType !== 'memory') return;
  throw new GatewayError(
    ErrorKind.Config,
    `invalid configuration: GW_BUS_TYPE: memory (the default) only works inside the one-process gateway (npm start); ` +
      `${settings.serviceName} in its own process needs a shared bus: set GW_BUS_TYPE=mqtt or redis (and GW_BUS_URL)`,
  );
}

/** Logs, once at boot, a warning per set GW_* variable that looks like a mistyped setting of this service. */
export function warnUnknownVariables(
  logger: Logger,
  serviceName: string,
  variables: Iterable<string>,
  env: Record<string, string | undefined>,
  elsewhere?: Iterable<string>,
): void {
  for (const variable of unknownVariables(env, variables, { elsewhere })) {
    logger.warn({ variable: variable.name, suggestion: variable.suggestion }, unknownVariableMessage(variable, serviceName));
  }
}
