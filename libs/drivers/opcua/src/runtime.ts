/**
 * Everything of the driver that needs node-opcua, loaded by opcua-driver.ts
 * with one dynamic import when the first device is added (or discovery and
 * the REST routes need it).
 */
import { setErrorLogger, setWarningLogger } from 'node-opcua-client';
import type { Logger } from './session-pool';

export * from './session-pool';
export * from './monitor';
export * from './coalescer';
export * from './nodes';
export * from './codec';
export * from './status';
export { AttributeIds, DataType, Variant } from 'node-opcua-client';

/**
 * node-opcua writes its warnings and errors to the console, many lines each
 * (W27 about PKCS#1, reconnection chatter): they go to the driver's logger
 * instead, at debug and warn. One setting for the process (node-opcua's loggers are global).
 */
export function routeLibraryLogs(logger: Logger): void {
  const line = (args: unknown[]) => args.map((a) => (typeof a === 'string' ? a : a instanceof Error ? a.message : JSON.stringify(a))).join(' ').slice(0, 2000);
  setWarningLogger((...args: unknown[]) => logger.debug({ lib: 'node-opcua' }, line(args)));
  setErrorLogger((...args: unknown[]) => logger.warn({ lib: 'node-opcua' }, line(args)));
}
