/**
 * EdgeX 4's `aggregateFunc` on the reading queries: MIN, MAX, COUNT, SUM or
 * AVG (any case) of the numeric readings the query matches, one result per
 * device, resource and profile. A group of non-numeric readings (String,
 * Bool...) answers an empty value, as EdgeX does.
 */
import { ErrorKind, GatewayError, ValueType } from '@gw/contracts';

export const AGGREGATE_FUNCS = ['MIN', 'MAX', 'COUNT', 'SUM', 'AVG'] as const;
export type AggregateFunc = (typeof AGGREGATE_FUNCS)[number];

export const INTEGER_TYPES: readonly ValueType[] = ['Uint8', 'Uint16', 'Uint32', 'Uint64', 'Int8', 'Int16', 'Int32', 'Int64'];
export const FLOAT_TYPES: readonly ValueType[] = ['Float32', 'Float64'];

/** One group as the store answers it: its valueType and the aggregate (null when no value was numeric). */
export interface AggregateRow {
  deviceName: string;
  resourceName: string;
  profileName: string;
  valueType: ValueType;
  value: number | string | null;
}

/** A result as EdgeX answers it: value a JSON number, or '' for a non-numeric group. */
export interface AggregatedReading {
  deviceName: string;
  resourceName: string;
  profileName: string;
  valueType: ValueType;
  value: number | '';
}

/** `aggregateFunc` checked once: undefined when absent; a 400 naming the parameter and the choices otherwise. */
export function toAggregateFunc(raw: string | undefined): AggregateFunc | undefined {
  if (raw === undefined || raw === '') return undefined;
  const upper = raw.toUpperCase();
  if ((AGGREGATE_FUNCS as readonly string[]).includes(upper)) return upper as AggregateFunc;
  throw new GatewayError(ErrorKind.ContractInvalid, `query parameter aggregateFunc: expected one of ${AGGREGATE_FUNCS.join(', ')}, got "${raw}"`);
}

/**
 * The valueType of a result, as EdgeX reports it: COUNT an Int64; AVG a
 * Float64; MIN, MAX and SUM of integers an Int64 (Uint64 for unsigned), of
 * floats a Float64; a non-numeric group keeps its own type.
 */
export function resultType(fn: AggregateFunc, source: ValueType): ValueType {
  const integer = INTEGER_TYPES.includes(source);
  if (!integer && !FLOAT_TYPES.includes(source)) return source;
  if (fn === 'COUNT') return 'Int64';
  if (fn === 'AVG' || !integer) return 'Float64';
  return source.startsWith('Uint') ? 'Uint64' : 'Int64';
}

export function toAggregated(fn: AggregateFunc, row: AggregateRow): AggregatedReading {
  const numeric = row.value !== null && row.value !== '' && (INTEGER_TYPES.includes(row.valueType) || FLOAT_TYPES.includes(row.valueType));
  // A sum beyond float64 (Infinity) has no JSON number: an empty value, as for a non-numeric group.
  const value = numeric ? Number(row.value) : NaN;
  return {
    deviceName: row.deviceName,
    resourceName: row.resourceName,
    profileName: row.profileName,
    valueType: resultType(fn, row.valueType),
    value: Number.isFinite(value) ? value : '',
  };
}

/** A list of value types as SQL string literals (constants of ours, never input). */
export function sqlList(types: readonly ValueType[]): string {
  return types.map((type) => `'${type}'`).join(', ');
}
