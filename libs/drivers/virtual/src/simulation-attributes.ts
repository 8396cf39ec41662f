/**
 * The virtual driver's attribute vocabulary (see README.md), turned into a
 * Simulation once per resource, with every mistake reported by attribute.
 *
 *   simulation: random (default) | sequence | constant
 *   length:     random String / Binary / arrays: characters, bytes or items
 *   values:     sequence: the list to cycle through (any type)
 *   start/step: sequence of a number without values: where to start, how much to add
 *   value:      constant: the value every read returns (default: the defaultValue)
 *
 * Attribute values are what the simulated device holds (before the SDK's
 * read transforms), written as a SET request would write them.
 */
import { canWrite, DeviceResource, ValueType } from '@gw/contracts';
import { RawValue } from '@gw/device-sdk/driver';
import { parseValue, toWriteValue } from '@gw/device-sdk/driver';
import { Bounds, boundsOf } from './bounds';
import {
  RandomBool,
  RandomBytes,
  RandomFloat,
  RandomInteger,
  RandomList,
  RandomObject,
  RandomText,
  RandomWideInteger,
  ValueMaker,
} from './random-values';
import {
  ConstantSimulation,
  CountSimulation,
  CycleSimulation,
  RandomSimulation,
  Simulation,
  ToggleSimulation,
  WideCountSimulation,
} from './simulations';

export const ATTRIBUTES = ['simulation', 'length', 'values', 'start', 'step', 'value'] as const;
const MODES = ['random', 'sequence', 'constant'] as const;
type Mode = (typeof MODES)[number];
/** Bounds on what a read may allocate and what a profile may list. */
export const MAX_LENGTH = 65536;
export const MAX_VALUES = 10000;
const DEFAULT_LENGTH = { String: 8, Binary: 16, list: 4 } as const;

/** `path` is relative to the resource, e.g. `attributes.step`. */
export interface SimulationIssue {
  path: string;
  message: string;
}

export type Compiled = { simulation: Simulation; issues?: undefined } | { simulation?: undefined; issues: SimulationIssue[] };

export function compileSimulation(resource: DeviceResource, attributes: Record<string, unknown> | undefined): Compiled {
  const attrs = attributes ?? {};
  const issues: SimulationIssue[] = [];
  const problem = (attribute: string, message: string) => issues.push({ path: `attributes.${attribute}`, message });

  for (const key of Object.keys(attrs)) {
    if (!(ATTRIBUTES as readonly string[]).includes(key)) {
      problem(key, `is not an attribute of the virtual driver (${ATTRIBUTES.join(', ')})`);
    }
  }
  const mode = attrs.simulation ?? 'random';
  if (!MODES.includes(mode as Mode)) {
    problem('simulation', `${JSON.stringify(mode)} is not one of ${MODES.join(', ')}`);
    return { issues };
  }
  const valueType = resource.properties.valueType;
  const element = elementOf(valueType);
  const numeric = isNumeric(valueType);
  const applies: Record<(typeof ATTRIBUTES)[number], [boolean, string]> = {
    simulation: [true, ''],
    length: [mode === 'random' && hasLength(valueType), 'simulation: random of a String, Binary or array'],
    values: [mode === 'sequence', 'simulation: sequence'],
    start: [mode === 'sequence' && numeric, 'simulation: sequence of a number'],
    step: [mode === 'sequence' && numeric, 'simulation: sequence of a number'],
    value: [mode === 'constant', 'simulation: constant'],
  };
  for (const key of ATTRIBUTES) {
    if (attrs[key] !== undefined && !applies[key][0]) problem(key, `applies only to ${applies[key][1]}`);
  }
  if (issues.length > 0) return { issues };

  let simulation: Simulation | undefined;
  if (mode === 'constant') simulation = constant(resource, attrs.value, problem);
  else if (mode === 'sequence') simulation = sequence(resource, attrs, issues, problem);
  else simulation = random(resource, element, attrs.length, issues, problem);
  return simulation && issues.length === 0 ? { simulation } : { issues };
}

type Problem = (attribute: string, message: string) => void;

function constant(resource: DeviceResource, value: unknown, problem: Problem): Simulation | undefined {
  const { defaultValue } = resource.properties;
  if (value !== undefined) {
    const parsed = parse(value, resource.properties.valueType, 'value', problem);
    return parsed === undefined ? undefined : new ConstantSimulation(parsed);
  }
  if (defaultValue === undefined || defaultValue === '') {
    problem('value', 'simulation: constant needs a value attribute (or a defaultValue)');
    return undefined;
  }
  try {
    // defaultValue is what an operator reads: the device holds its reverse-transformed value.
    return new ConstantSimulation(toWriteValue(defaultValue, resource, ''));
  } catch (err) {
    problem('value', `the defaultValue cannot be simulated: ${messageOf(err).replace(`device "" resource "${resource.name}": `, '')}`);
    return undefined;
  }
}

function sequence(resource: DeviceResource, attrs: Record<string, unknown>, issues: SimulationIssue[], problem: Problem) {
  const valueType = resource.properties.valueType;
  if (attrs.values !== undefined) {
    const list = attrs.values;
    if (!Array.isArray(list) || list.length === 0 || list.length > MAX_VALUES) {
      problem('values', `must be a list of 1 to ${MAX_VALUES} values`);
      return undefined;
    }
    const values = list.map((item, i) => parse(item, valueType, `values[${i}]`, problem));
    return issues.length > 0 ? undefined : new CycleSimulation(values as RawValue[]);
  }
  if (valueType === 'Bool') return new ToggleSimulation();
  if (!isNumeric(valueType)) {
    problem('values', `a sequence of a ${valueType} needs the values to cycle through`);
    return undefined;
  }
  const bounds = numericBounds(resource, valueType, issues);
  if (!bounds) return undefined;

  const step = stepOf(attrs.step ?? 1, bounds, valueType, problem);
  const start = (attrs.start === undefined ? defaultStart(bounds, step, resource) : parse(attrs.start, valueType, 'start', problem)) as
    | number
    | bigint
    | undefined;
  if (step === undefined || start === undefined) return undefined;
  if (start < bounds.lo || start > bounds.hi) {
    problem('start', `${start} is outside the range ${bounds.lo}..${bounds.hi} given by minimum/maximum and ${valueType}`);
    return undefined;
  }
  if (bounds.kind === 'integer' && bounds.wide) {
    return new WideCountSimulation(start as bigint, step as bigint, bounds.lo, bounds.hi);
  }
  const [lo, hi] = [Number(bounds.lo), Number(bounds.hi)];
  return new CountSimulation(Number(start), Number(step), lo, hi, bounds.kind === 'float' && bounds.f32);
}

function random(resource: DeviceResource, element: ValueType | undefined, length: unknown, issues: SimulationIssue[], problem: Problem) {
  const valueType = resource.properties.valueType;
  let count: number = element || valueType === 'ObjectArray' ? DEFAULT_LENGTH.list : valueType === 'Binary' ? DEFAULT_LENGTH.Binary : DEFAULT_LENGTH.String;
  if (length !== undefined) {
    if (typeof length !== 'number' || !Number.isInteger(length) || length < 0 || length > MAX_LENGTH) {
      problem('length', `must be a whole number from 0 to ${MAX_LENGTH}`);
      return undefined;
    }
    count = length;
  }
  if (valueType === 'ObjectArray') return new RandomSimulation(new RandomList(objectMaker(resource), count));
  const maker = makerFor(resource, element ?? valueType, count, issues);
  if (!maker) return undefined;
  return new RandomSimulation(element ? new RandomList(maker, count) : maker);
}

function makerFor(resource: DeviceResource, type: ValueType, length: number, issues: SimulationIssue[]): ValueMaker | undefined {
  switch (type) {
    case 'Bool':
      return new RandomBool();
    case 'String':
      return new RandomText(length);
    case 'Binary':
      return new RandomBytes(length);
    case 'Object':
      return objectMaker(resource);
  }
  const bounds = numericBounds(resource, type, issues);
  if (!bounds) return undefined;
  if (bounds.kind === 'float') return new RandomFloat(bounds);
  return bounds.wide ? new RandomWideInteger(bounds) : new RandomInteger(bounds);
}

/** `{ value: n }` with n within minimum..maximum, else 0..100. */
function objectMaker(resource: DeviceResource): ValueMaker {
  const { minimum, maximum } = resource.properties;
  return new RandomObject({ lo: minimum ?? 0, hi: maximum ?? Math.max(100, minimum ?? 0) });
}

function numericBounds(resource: DeviceResource, type: ValueType, issues: SimulationIssue[]): Bounds | undefined {
  const bounds = boundsOf(resource, type);
  if (typeof bounds !== 'string') return bounds;
  issues.push({ path: 'properties.minimum', message: bounds });
  return undefined;
}

/** Counting up starts at the minimum, counting down at the maximum; without that limit, at 0 (within the range). */
function defaultStart(bounds: Bounds, step: number | bigint | undefined, resource: DeviceResource): number | bigint {
  const down = step !== undefined && step < 0;
  const limited = down ? resource.properties.maximum !== undefined : resource.properties.minimum !== undefined;
  if (bounds.kind === 'integer') {
    const start = limited ? (down ? bounds.hi : bounds.lo) : bounds.lo > 0n ? bounds.lo : bounds.hi < 0n ? bounds.hi : 0n;
    return bounds.wide ? start : Number(start);
  }
  const start = limited ? (down ? bounds.hi : bounds.lo) : Math.min(Math.max(0, bounds.lo), bounds.hi);
  return bounds.f32 ? Math.fround(start) : start;
}

function stepOf(step: unknown, bounds: Bounds, valueType: ValueType, problem: Problem): number | bigint | undefined {
  const n = typeof step === 'number' ? step : typeof step === 'string' && step.trim() !== '' ? Number(step) : NaN;
  if (!Number.isFinite(n) || n === 0) {
    problem('step', `${JSON.stringify(step)} is not a non-zero number`);
    return undefined;
  }
  if (bounds.kind === 'float') return n;
  if (!Number.isSafeInteger(n)) {
    problem('step', `${JSON.stringify(step)} is not a whole number, as a ${valueType} step must be`);
    return undefined;
  }
  return bounds.wide ? BigInt(n) : n;
}

function parse(value: unknown, valueType: ValueType, attribute: string, problem: Problem): RawValue | undefined {
  try {
    return parseValue(value, valueType);
  } catch (err) {
    problem(attribute, messageOf(err));
    return undefined;
  }
}

/** The value a writable resource starts with: its defaultValue, as the device holds it. */
export function initialValue(resource: DeviceResource, deviceName: string): RawValue | undefined {
  const { defaultValue, readWrite } = resource.properties;
  if (!canWrite(readWrite) || defaultValue === undefined || defaultValue === '') return undefined;
  return toWriteValue(defaultValue, resource, deviceName);
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

function elementOf(valueType: ValueType): ValueType | undefined {
  return valueType !== 'ObjectArray' && valueType.endsWith('Array') ? (valueType.slice(0, -'Array'.length) as ValueType) : undefined;
}

function isNumeric(valueType: ValueType): boolean {
  return valueType.startsWith('Int') || valueType.startsWith('Uint') || valueType.startsWith('Float')
    ? !valueType.endsWith('Array')
    : false;
}

function hasLength(valueType: ValueType): boolean {
  return valueType === 'String' || valueType === 'Binary' || valueType.endsWith('Array');
}
