/**
 * Value handling of the device SDK: raw driver values <-> EdgeX readings and
 * SET values, with EdgeX's transforms, limits, mappings and assertions.
 * Pure functions, no I/O.
 */
export { toReading } from './to-reading';
export type { ReadingContext } from './to-reading';
export { toWriteValue } from './to-write-value';
export { parseValue } from './parse-value';
export { assertionHolds } from './assertion';
export { mapForRead, mapForWrite } from './mappings';
export { numericValue } from './numeric-value';
export { formatFloat32, formatFloat64 } from './go-format';
