/**
 * Per-session knowledge: node ids resolved against the server's namespace
 * array (for `nsu=`), browse paths from a device's object resolved to node
 * ids (one TranslateBrowsePathsToNodeIds for all not known yet), nodes' DataTypes (writes) and methods' argument
 * definitions (calls). Kept per session object, so a reconnect (whose server
 * may have restarted with other namespaces) starts afresh.
 */
import { ErrorKind, GatewayError } from '@gw/contracts';
import { Argument, AttributeIds, ClientSession, DataType, findBasicDataType, makeBrowsePath, NodeId, resolveNodeId } from 'node-opcua-client';
import type { NodeAddress } from './attributes';
import { isBad } from './status';

interface SessionCache {
  namespaces?: Promise<string[]>;
  dataTypes: Map<string, DataType | undefined>;
  /** DataType node -> the builtin type it encodes as (subtypes such as UtcTime, abstract Number, enumerations). */
  basicTypes: Map<string, Promise<DataType | undefined>>;
  /** `<object node id>/<browse path>` -> the node found (bounded by the profiles in use). */
  paths: Map<string, NodeId>;
  methods: Map<string, Promise<{ inputs: Argument[] }>>;
}

const caches = new WeakMap<ClientSession, SessionCache>();

function cacheOf(session: ClientSession): SessionCache {
  let cache = caches.get(session);
  if (!cache) caches.set(session, (cache = { dataTypes: new Map(), basicTypes: new Map(), methods: new Map(), paths: new Map() }));
  return cache;
}

/** Whether resolving `address` needs the namespace array (nsu=). */
export const needsNamespaces = (address: NodeAddress): boolean => address.namespaceUri !== undefined || (address.relative !== undefined && needsNamespaces(address.relative.from));

/**
 * The node ids of `addresses`, reading the namespace array once per session
 * when one says nsu=, and translating the browse paths not known yet in this
 * session in one call.
 */
export async function resolveNodes(session: ClientSession, addresses: NodeAddress[], where: (i: number) => string): Promise<NodeId[]> {
  if (!addresses.some((a) => a.relative)) return resolveAbsolute(session, addresses, where);
  const cache = cacheOf(session).paths;
  const starts = await resolveAbsolute(
    session,
    addresses.map((a) => a.relative?.from ?? a),
    (i) => (addresses[i].relative ? `${where(i)}: protocol property opcua.ObjectNodeId` : where(i)),
  );
  const unknown = addresses.map((a, i) => i).filter((i) => addresses[i].relative && !cache.has(pathKey(starts[i], addresses[i])));
  if (unknown.length > 0) {
    const results = await session.translateBrowsePath(unknown.map((i) => makeBrowsePath(starts[i], relativePathText(addresses[i].relative!.path))));
    results.forEach((result, n) => {
      const i = unknown[n];
      const target = result.statusCode.isGood() ? result.targets?.[0]?.targetId : undefined;
      if (!target) {
        throw new GatewayError(
          ErrorKind.ContractInvalid,
          `${where(i)}: browsePath ${JSON.stringify(addresses[i].relative!.path)} finds no node under the device's object ${addresses[i].relative!.from.text} (${result.statusCode.name})`,
        );
      }
      cache.set(pathKey(starts[i], addresses[i]), new NodeId(target.identifierType, target.value, target.namespace));
    });
  }
  return addresses.map((a, i) => (a.relative ? cache.get(pathKey(starts[i], a))! : starts[i]));
}

/** `2:Tool/2:Wear` in node-opcua's relative path syntax: `/` (hierarchical references) before each name, its reserved characters escaped with `&`. */
export function relativePathText(path: string): string {
  return path
    .split('/')
    .map((segment) => {
      const [, ns, name] = /^(\d+:)?(.*)$/s.exec(segment.trim())!;
      return `/${ns ?? ''}${name.replace(/[/.<>:#!&]/g, '&$&')}`;
    })
    .join('');
}

const pathKey = (start: NodeId, address: NodeAddress) => `${start.toString()}/${address.relative!.path}`;

async function resolveAbsolute(session: ClientSession, addresses: NodeAddress[], where: (i: number) => string): Promise<NodeId[]> {
  let namespaces: string[] | undefined;
  if (addresses.some(needsNamespaces)) {
    const cache = cacheOf(session);
    cache.namespaces ??= session.readNamespaceArray().catch((err: unknown) => {
      cache.namespaces = undefined;
      throw err;
    });
    namespaces = await cache.namespaces;
  }
  return addresses.map((address, i) => {
    let text = address.text;
    if (address.namespaceUri !== undefined) {
      const index = namespaces!.indexOf(address.namespaceUri);
      if (index < 0) {
        throw new GatewayError(ErrorKind.ContractInvalid, `${where(i)}: the server has no namespace ${address.namespaceUri} (it has ${namespaces!.join(', ')})`);
      }
      text = `ns=${index};${address.identifier}`;
    }
    try {
      return resolveNodeId(text);
    } catch (err) {
      throw new GatewayError(ErrorKind.ContractInvalid, `${where(i)}: ${JSON.stringify(address.text)} is not a node id (${(err as Error).message})`);
    }
  });
}

/**
 * The builtin type values of DataType `dataType` are encoded as: itself for
 * the builtin ones (ns=0 numbers 1..25), Double / Int64 / UInt64 for the
 * abstract Number / Integer / UInteger, Int32 for enumerations, else the
 * builtin type it derives from (UtcTime: DateTime; asked of the server once
 * per session). Undefined for structures and what cannot be found: left to
 * the resource's valueType.
 */
export function basicTypeOf(session: ClientSession, dataType: NodeId): Promise<DataType | undefined> {
  const direct = directType(dataType);
  if (direct !== null) return Promise.resolve(direct);
  const cache = cacheOf(session).basicTypes;
  const key = dataType.toString();
  let found = cache.get(key);
  if (!found) {
    found = findBasicDataType(session, dataType).then(
      (t) => (t >= DataType.Boolean && t <= DataType.DiagnosticInfo && t !== DataType.ExtensionObject && t !== DataType.Variant && t !== DataType.DataValue ? t : undefined),
      () => undefined,
    );
    cache.set(key, found);
  }
  return found;
}

const ABSTRACT: Record<number, DataType> = { 26: DataType.Double, 27: DataType.Int64, 28: DataType.UInt64, 29: DataType.Int32 };

/** The type known without asking the server, null when it must be asked. */
function directType(dataType: NodeId): DataType | undefined | null {
  if (dataType.namespace !== 0 || typeof dataType.value !== 'number') return null;
  if (dataType.value >= 1 && dataType.value <= 25) return dataType.value === DataType.ExtensionObject || dataType.value === DataType.Variant ? undefined : (dataType.value as DataType);
  return ABSTRACT[dataType.value] ?? null;
}

/** The builtin type to write each node's value as (one Read of the DataTypes not known yet in this session); undefined: left to the valueType. */
export async function dataTypesOf(session: ClientSession, nodes: NodeId[]): Promise<Array<DataType | undefined>> {
  const cache = cacheOf(session).dataTypes;
  const missing = [...new Set(nodes.map((n) => n.toString()).filter((k) => !cache.has(k)))];
  if (missing.length > 0) {
    const values = await session.read(missing.map((nodeId) => ({ nodeId, attributeId: AttributeIds.DataType })));
    const types = await Promise.all(values.map((dv) => (isBad(dv.statusCode) || !dv.value?.value ? undefined : basicTypeOf(session, dv.value.value as NodeId))));
    types.forEach((t, i) => cache.set(missing[i], t));
  }
  return nodes.map((n) => cache.get(n.toString()));
}

/** A method's declared input arguments, asked once per session. */
export function methodInputs(session: ClientSession, methodId: NodeId): Promise<{ inputs: Argument[] }> {
  const cache = cacheOf(session).methods;
  const key = methodId.toString();
  let found = cache.get(key);
  if (!found) {
    found = session.getArgumentDefinition(methodId).then((def) => ({ inputs: def.inputArguments }));
    found.catch(() => cache.delete(key));
    cache.set(key, found);
  }
  return found;
}
