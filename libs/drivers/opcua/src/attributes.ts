/**
 * What a deviceResource's attributes address, in EdgeX device-opc-ua's
 * vocabulary: `nodeId` (a variable read, written and monitored), or
 * `objectId` + `methodId` + `inputMap` (a method called by a read, its first
 * output argument being the reading). Beyond EdgeX: `nsu=` namespace URIs in
 * node ids, a data-change deadband for monitored items (`deadband`,
 * absolute, or `deadbandPercent` of the variable's EURange), and `browsePath`
 * instead of `nodeId`: the variable found by browse names from the device's
 * own object (protocol property opcua.ObjectNodeId), so one profile serves
 * every object of a type (a discovered Press1 and Press2 each read their
 * own). Checked without node-opcua, so a wrong attribute is refused when the
 * device is added.
 */
import { ErrorKind, GatewayError } from '@gw/contracts';

export interface NodeAddress {
  /** `ns=3;i=1001`, `ns=2;s=Line1.Speed`, `g=...`, `b=...`, or with `nsu=<uri>;` instead of `ns=`. */
  text: string;
  /** The namespace URI when the id says `nsu=`: resolved against the server's namespace array per session. */
  namespaceUri?: string;
  /** The id without its namespace part (`i=1001`), when namespaceUri is set. */
  identifier?: string;
  /** A node found from another by browse names (`browsePath` attribute): resolved per session. */
  relative?: { from: NodeAddress; path: string };
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

/** Why `text` is not a browse path (`2:Temperature`, `2:Tool/2:Wear`), or undefined when it is one. */
export function browsePathProblem(text: string): string | undefined {
  const segments = text.replace(/^\//, '').split('/');
  const bad = segments.find((s) => s.trim() === '' || /^\d+:$/.test(s.trim()));
  return bad === undefined ? undefined : `segment ${JSON.stringify(bad)}: expected [<namespace index>:]<browse name>, segments separated by /`;
}

/** The device's own object (protocol property opcua.ObjectNodeId, as discovery sets it), if it has one. */
export function objectNodeIdOf(protocols: Record<string, Record<string, unknown>> | undefined): string | undefined {
  const value = protocols?.opcua?.ObjectNodeId;
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * Reads a resource's attributes; errors are ContractInvalid naming device,
 * resource and attribute. `objectNodeId` is the device's own object, the
 * start of `browsePath` attributes.
 */
export function parsePoint(deviceName: string, resourceName: string, attributes: Record<string, unknown> | undefined, objectNodeId?: string): OpcuaPoint {
  const attrs = attributes ?? {};
  const invalid = (attribute: string, message: string) =>
    new GatewayError(ErrorKind.ContractInvalid, `device "${deviceName}" resource "${resourceName}": attribute ${attribute} ${message}`);
  const relativeNode = (): NodeAddress => {
    const path = attrs.browsePath;
    if (typeof path !== 'string' || path.trim() === '') throw invalid('browsePath', `must be browse names from the device's object such as 2:Temperature, got ${JSON.stringify(path)}`);
    const problem = browsePathProblem(path.trim());
    if (problem) throw invalid('browsePath', `${JSON.stringify(path)} is not a browse path: ${problem}`);
    if (objectNodeId === undefined) {
      throw invalid('browsePath', 'starts from the device\'s object: the device needs protocol property opcua.ObjectNodeId (discovery sets it)');
    }
    const objectProblem = nodeIdProblem(objectNodeId);
    if (objectProblem) throw invalid('browsePath', `starts from protocol property opcua.ObjectNodeId ${JSON.stringify(objectNodeId)}, which is not a node id: ${objectProblem}`);
    const clean = path.trim().replace(/^\//, '');
    return { text: `${objectNodeId}/${clean}`, relative: { from: parseNodeAddress(objectNodeId), path: clean } };
  };
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
  if (attrs.browsePath !== undefined && attrs.nodeId !== undefined) throw invalid('browsePath', 'and nodeId are both set: give one');
  if (attrs.nodeId === undefined && attrs.browsePath === undefined) {
    throw invalid('nodeId', "is missing: give nodeId (e.g. ns=3;i=1001), browsePath from the device's object (e.g. 2:Temperature), or objectId and methodId for a method");
  }
  const point: VariablePoint = { kind: 'variable', node: attrs.browsePath !== undefined ? relativeNode() : nodeAttr('nodeId') };
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
