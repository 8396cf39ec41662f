/**
 * Everything of the driver that needs node-opcua, loaded by opcua-driver.ts
 * with one dynamic import when the first device is added (or discovery and
 * the REST routes need it).
 */
export { routeLibraryLogs } from './library-logs';

export * from './session-pool';
export * from './monitor';
export * from './coalescer';
export * from './nodes';
export * from './codec';
export * from './status';
export { AttributeIds, DataType, Variant } from 'node-opcua-client';

