/**
 * What a deviceResource's attributes address, in EdgeX device-opc-ua's
 * vocabulary: `nodeId` (a variable read, written and monitored), or
 * `objectId` + `methodId` + `inputMap` (a method called by a read, its first
 * output argument being the reading). Beyond EdgeX: `nsu=` namespace URIs in
 * node ids, and a data-change deadband for monitored items (`deadband`,
 * absolute, or `deadbandPercent` of the variable's EURange). Checked without
 * node-opcua, so a wrong attribute is refused when the device is added.
 */
import { ErrorKind, GatewayError } from '@gw/contracts';

export interface NodeAddress {
  /** `ns=3;i=1001`, `ns=2;s=Line1.Speed`, `g=...`, `b=...`, or with `nsu=<uri>;` instead of `ns=`. */
  text: string;
  /** The namespace URI when the id says `nsu=`: resolved against the server's namespace array per session. */
  namespaceUri?: string;
  /** The id without its namespace part (`i=1001`), when namespaceUri is set. */
  identifier?: string;
}

export interface VariablePoint {
  kind: 'variable';
  node: NodeAddress;
  deadband?: { type: 'Absolute' | 'Percent'; value: number };
}

export interface MethodPoint {
  kind: 'method';
  object: NodeAddress;
  method: NodeAddress;
  /** EdgeX's inputMap: the input arguments as texts, coerced to the method's declared argument types. */
  inputs: string[];
}

export type OpcuaPoint = VariablePoint | MethodPoint;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Why `text` is not a node id, or undefined when it is one. */
export function nodeIdProblem(text: string): string | undefined {
  let rest = text.trim();
  const ns = /^ns=(\d+);/.exec(rest);
  const nsu = /^nsu=([^;]+);/.exec(rest);
  if (ns) {
    if (Number(ns[1]) > 65535) return `namespace index ${ns[1]} is past 65535`;
    rest = rest.slice(ns[0].length);
  } else if (nsu) rest = rest.slice(nsu[0].length);
  const m = /^([isgb])=(.*)$/s.exec(rest);
  if (!m) return 'expected [ns=<index>; or nsu=<uri>;] then i=<number>, s=<text>, g=<guid> or b=<base64>';
  const [, type, id] = m;
  switch (type) {
    case 'i':
      return /^\d+$/.test(id) && Number(id) <= 0xffffffff ? undefined : `i= needs a number 0-4294967295, got ${JSON.stringify(id)}`;
    case 's':
      return id.length > 0 ? undefined : 's= needs a text';
    case 'g':
      return GUID.test(id) ? undefined : `g= needs a GUID such as 72962b91-fa75-4ae6-8d28-b404dc7daf63, got ${JSON.stringify(id)}`;
    default:
      return id.length > 0 && BASE64.test(id) ? undefined : `b= needs base64 bytes, got ${JSON.stringify(id)}`;
  }
}

export function parseNodeAddress(text: string): NodeAddress {
  const trimmed = text.trim();
  const nsu = /^nsu=([^;]+);(.*)$/s.exec(trimmed);
  return nsu ? { text: trimmed, namespaceUri: nsu[1], identifier: nsu[2] } : { text: trimmed };
}

/** Reads a resource's attributes; errors are ContractInvalid naming device, resource and attribute. */
export function parsePoint(deviceName: string, resourceName: string, attributes: Record<string, unknown> | undefined): OpcuaPoint {
  const attrs = attributes ?? {};
  const invalid = (attribute: string, message: string) =>
    new GatewayError(ErrorKind.ContractInvalid, `device "${deviceName}" resource "${resourceName}": attribute ${attribute} ${message}`);
  const nodeAttr = (name: string): NodeAddress => {
    const value = attrs[name];
    if (typeof value !== 'string' || value.trim() === '') throw invalid(name, `must be a node id text such as ns=3;i=1001, got ${JSON.stringify(value)}`);
    const problem = nodeIdProblem(value);
    if (problem) throw invalid(name, `${JSON.stringify(value)} is not a node id: ${problem}`);
    return parseNodeAddress(value);
  };
  if (attrs.methodId !== undefined || attrs.objectId !== undefined) {
    if (attrs.methodId === undefined) throw invalid('methodId', 'is missing: objectId names the object, methodId the method to call');
    if (attrs.objectId === undefined) throw invalid('objectId', 'is missing: a method is called on an object (objectId)');
    const raw = attrs.inputMap ?? [];
    if (!Array.isArray(raw) || raw.some((v) => v !== null && typeof v === 'object')) {
      throw invalid('inputMap', `must be a list of input argument values (texts), got ${JSON.stringify(raw)}`);
    }
    return { kind: 'method', object: nodeAttr('objectId'), method: nodeAttr('methodId'), inputs: raw.map((v) => String(v)) };
  }
  if (attrs.nodeId === undefined) throw invalid('nodeId', 'is missing: give nodeId (e.g. ns=3;i=1001), or objectId and methodId for a method');
  const point: VariablePoint = { kind: 'variable', node: nodeAttr('nodeId') };
  const number = (name: string, max: number): number | undefined => {
    const v = attrs[name];
    if (v === undefined || v === null || v === '') return undefined;
    const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
    if (!Number.isFinite(n) || n < 0 || n > max) throw invalid(name, `must be a number 0-${max}, got ${JSON.stringify(v)}`);
    return n;
  };
  const absolute = number('deadband', Number.MAX_VALUE);
  const percent = number('deadbandPercent', 100);
  if (absolute !== undefined && percent !== undefined) throw invalid('deadbandPercent', 'and deadband are both set: give one');
  if (absolute !== undefined) point.deadband = { type: 'Absolute', value: absolute };
  if (percent !== undefined) point.deadband = { type: 'Percent', value: percent };
  return point;
}
