/**
 * node-opcua writes its warnings and errors to the console, many lines each
 * (W27 about PKCS#1, reconnection chatter): they go to the driver's logger
 * instead, at debug and warn. One setting for the process (node-opcua's loggers
 * are global); set by whatever loads node-opcua first: the runtime (first
 * device), the PKI (certificate routes, browsing) or discovery.
 */
import { setErrorLogger, setWarningLogger } from 'node-opcua-client';
import type { DriverContext } from '@gw/device-sdk/driver';

export function routeLibraryLogs(logger: DriverContext['logger']): void {
  const line = (args: unknown[]) => args.map((a) => (typeof a === 'string' ? a : a instanceof Error ? a.message : JSON.stringify(a))).join(' ').slice(0, 2000);
  setWarningLogger((...args: unknown[]) => logger.debug({ lib: 'node-opcua' }, line(args)));
  setErrorLogger((...args: unknown[]) => logger.warn({ lib: 'node-opcua' }, line(args)));
}
