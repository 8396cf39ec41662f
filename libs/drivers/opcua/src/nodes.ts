/**
 * Per-session knowledge: node ids resolved against the server's namespace
 * array (for `nsu=`), nodes' DataTypes (writes) and methods' argument
 * definitions (calls). Kept per session object, so a reconnect (whose server
 * may have restarted with other namespaces) starts afresh.
 */
import { ErrorKind, GatewayError } from '@gw/contracts';
import { Argument, AttributeIds, ClientSession, DataType, NodeId, resolveNodeId } from 'node-opcua-client';
import type { NodeAddress } from './attributes';
import { isBad } from './status';

interface SessionCache {
  namespaces?: Promise<string[]>;
  dataTypes: Map<string, DataType | undefined>;
  methods: Map<string, Promise<{ inputs: Argument[] }>>;
}

const caches = new WeakMap<ClientSession, SessionCache>();

function cacheOf(session: ClientSession): SessionCache {
  let cache = caches.get(session);
  if (!cache) caches.set(session, (cache = { dataTypes: new Map(), methods: new Map() }));
  return cache;
}

/** Whether resolving `address` needs the namespace array (nsu=). */
export const needsNamespaces = (address: NodeAddress): boolean => address.namespaceUri !== undefined;

/** The node ids of `addresses`, reading the namespace array once per session when one says nsu=. */
export async function resolveNodes(session: ClientSession, addresses: NodeAddress[], where: (i: number) => string): Promise<NodeId[]> {
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
