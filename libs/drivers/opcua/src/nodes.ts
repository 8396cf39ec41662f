/**
 * Per-session knowledge: node ids resolved against the server's namespace
 * array (for `nsu=`), browse paths from a device's object resolved to node
 * ids (one TranslateBrowsePathsToNodeIds for all not known yet), nodes' DataTypes (writes) and methods' argument
 * definitions (calls). Kept per session object, so a reconnect (whose server
 * may have restarted with other namespaces) starts afresh.
 */
import { ErrorKind, GatewayError } from '@gw/contracts';
import { Argument, AttributeIds, ClientSession, DataType, makeBrowsePath, NodeId, resolveNodeId } from 'node-opcua-client';
import type { NodeAddress } from './attributes';
import { isBad } from './status';

interface SessionCache {
  namespaces?: Promise<string[]>;
  dataTypes: Map<string, DataType | undefined>;
  /** `<object node id>/<browse path>` -> the node found (bounded by the profiles in use). */
  paths: Map<string, NodeId>;
  methods: Map<string, Promise<{ inputs: Argument[] }>>;
}

const caches = new WeakMap<ClientSession, SessionCache>();

function cacheOf(session: ClientSession): SessionCache {
  let cache = caches.get(session);
  if (!cache) caches.set(session, (cache = { dataTypes: new Map(), methods: new Map(), paths: new Map() }));
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

/** The DataType of each node (one Read for the ones not known yet in this session); undefined when unreadable or not builtin. */
export async function dataTypesOf(session: ClientSession, nodes: NodeId[]): Promise<Array<DataType | undefined>> {
  const cache = cacheOf(session).dataTypes;
  const missing = [...new Set(nodes.map((n) => n.toString()).filter((k) => !cache.has(k)))];
  if (missing.length > 0) {
    const values = await session.read(missing.map((nodeId) => ({ nodeId, attributeId: AttributeIds.DataType })));
    values.forEach((dv, i) => {
      const id = dv.value?.value as NodeId | undefined;
      // Builtin DataTypes are ns=0 numbers 1..25; others (structures, enumerations, abstract types) are left to the valueType.
      const builtin = !isBad(dv.statusCode) && id && id.namespace === 0 && typeof id.value === 'number' && id.value <= 25 ? (id.value as DataType) : undefined;
      cache.set(missing[i], builtin);
    });
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

/** The builtin DataType of an argument (ns=0 numbers 1..25), else undefined (structures, enumerations as Int32). */
export function builtinOf(dataType: NodeId): DataType | undefined {
  if (dataType.namespace !== 0 || typeof dataType.value !== 'number') return undefined;
  if (dataType.value <= 25) return dataType.value as DataType;
  if (dataType.value === 29) return DataType.Int32; // Enumeration
  return undefined;
}
