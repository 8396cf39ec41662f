/**
 * An OPC UA variable as an EdgeX resource's properties: valueType from its
 * builtin DataType and ValueRank, readWrite from its AccessLevel. Builtin
 * types by their standard numbers (Part 6), so this needs no OPC UA library.
 */
import type { ReadWrite, ValueType } from '@gw/contracts';

/** Builtin DataType number → EdgeX scalar valueType, and the array type when EdgeX has one. */
const BY_BUILTIN: Record<number, { scalar: ValueType; array?: ValueType; name: string }> = {
  1: { name: 'Boolean', scalar: 'Bool', array: 'BoolArray' },
  2: { name: 'SByte', scalar: 'Int8', array: 'Int8Array' },
  3: { name: 'Byte', scalar: 'Uint8', array: 'Uint8Array' },
  4: { name: 'Int16', scalar: 'Int16', array: 'Int16Array' },
  5: { name: 'UInt16', scalar: 'Uint16', array: 'Uint16Array' },
  6: { name: 'Int32', scalar: 'Int32', array: 'Int32Array' },
  7: { name: 'UInt32', scalar: 'Uint32', array: 'Uint32Array' },
  8: { name: 'Int64', scalar: 'Int64', array: 'Int64Array' },
  9: { name: 'UInt64', scalar: 'Uint64', array: 'Uint64Array' },
  10: { name: 'Float', scalar: 'Float32', array: 'Float32Array' },
  11: { name: 'Double', scalar: 'Float64', array: 'Float64Array' },
  12: { name: 'String', scalar: 'String', array: 'StringArray' },
  // The driver reads a DateTime into a String resource as ISO 8601 text.
  13: { name: 'DateTime', scalar: 'String', array: 'StringArray' },
  14: { name: 'Guid', scalar: 'String', array: 'StringArray' },
  15: { name: 'ByteString', scalar: 'Binary' },
  16: { name: 'XmlElement', scalar: 'String', array: 'StringArray' },
  17: { name: 'NodeId', scalar: 'String', array: 'StringArray' },
  19: { name: 'StatusCode', scalar: 'Uint32', array: 'Uint32Array' },
  20: { name: 'QualifiedName', scalar: 'String', array: 'StringArray' },
  21: { name: 'LocalizedText', scalar: 'String', array: 'StringArray' },
};

export const BUILTIN_NAMES: Record<number, string> = {
  ...Object.fromEntries(Object.entries(BY_BUILTIN).map(([id, t]) => [id, t.name])),
  18: 'ExpandedNodeId',
  22: 'ExtensionObject',
  23: 'DataValue',
  24: 'Variant',
  25: 'DiagnosticInfo',
};

export type Mapped<T> = { ok: true; value: T } | { ok: false; reason: string };

/** ValueRank -1 (scalar), -3 (scalar or one dimension) and -2 (any) read as scalars; 0 and above are arrays. */
export function edgexValueType(builtin: number | undefined, valueRank: number): Mapped<ValueType> {
  const type = builtin === undefined ? undefined : BY_BUILTIN[builtin];
  const typeName = builtin === undefined ? 'a structure or abstract DataType' : (BUILTIN_NAMES[builtin] ?? `DataType i=${builtin}`);
  if (!type) return { ok: false, reason: `${typeName} has no EdgeX valueType` };
  if (valueRank < 0) return { ok: true, value: type.scalar };
  if (valueRank > 1) return { ok: false, reason: `${valueRank}-dimensional ${typeName} arrays have no EdgeX valueType` };
  return type.array ? { ok: true, value: type.array } : { ok: false, reason: `${typeName} arrays have no EdgeX valueType` };
}

const CURRENT_READ = 0x01;
const CURRENT_WRITE = 0x02;

export function edgexReadWrite(accessLevel: number): Mapped<ReadWrite> {
  const read = (accessLevel & CURRENT_READ) !== 0;
  const write = (accessLevel & CURRENT_WRITE) !== 0;
  if (read && write) return { ok: true, value: 'RW' };
  if (read) return { ok: true, value: 'R' };
  if (write) return { ok: true, value: 'W' };
  return { ok: false, reason: 'its AccessLevel allows neither reading nor writing' };
}

/** An EdgeX name made of an OPC UA browse name: characters names may not hold become `_`. */
export function edgexName(text: string): string {
  const cleaned = [...text.replace(/[\s/#+?&%\p{Cc}\p{Cs}\u200E\u200F\u202A-\u202E\u2066-\u2069]/gu, '_')].slice(0, 200).join('');
  return cleaned === '' ? '_' : cleaned;
}
