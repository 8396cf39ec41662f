/**
 * One level of a server's address space: the nodes a node organizes or is
 * made of (hierarchical references, forward), at most `maxReferences` of
 * them; `truncated` says there were more.
 */
import { ErrorKind, GatewayError } from '@gw/contracts';
import { BrowseDirection, BrowseResult, ClientSession, ExpandedNodeId, NodeClass, NodeId, ReferenceDescription } from 'node-opcua-client';

export interface BrowsedNode {
  nodeId: string;
  browseName: string;
  displayName: string;
  nodeClass: string;
  /** The node's type: `i=61` FolderType, `i=63` BaseDataVariableType... */
  typeDefinition?: string;
  /** HasComponent, Organizes, HasProperty... */
  referenceType: string;
}

export interface BrowseLevel {
  nodeId: string;
  references: BrowsedNode[];
  truncated: boolean;
}

const HIERARCHICAL = 'i=33';
const ALL_RESULT_FIELDS = 0x3f;

/** Children of each node (one Browse call for all), in the order given. */
export async function browseChildren(session: ClientSession, nodes: NodeId[], maxReferences: number, nodeClassMask = 0): Promise<BrowseLevel[]> {
  if (nodes.length === 0) return [];
  session.requestedMaxReferencesPerNode = maxReferences;
  const results: BrowseResult[] = await session.browse(
    nodes.map((nodeId) => ({ nodeId, browseDirection: BrowseDirection.Forward, referenceTypeId: HIERARCHICAL, includeSubtypes: true, nodeClassMask, resultMask: ALL_RESULT_FIELDS })),
  );
  const open = results.map((r) => r.continuationPoint).filter((c): c is Buffer => Boolean(c && c.length));
  // The server keeps a continuation point per truncated result until told to let it go.
  if (open.length) await session.browseNext(open, true).catch(() => undefined);
  return results.map((result, i) => {
    if (!result.statusCode.isGood()) {
      const kind = /BadNodeIdUnknown|BadNodeIdInvalid/.test(result.statusCode.name) ? ErrorKind.EntityNotFound : ErrorKind.Communication;
      throw new GatewayError(kind, `browsing node ${nodes[i].toString()}: ${result.statusCode.name}`);
    }
    return {
      nodeId: nodes[i].toString(),
      references: (result.references ?? []).slice(0, maxReferences).map(describeReference),
      truncated: Boolean(result.continuationPoint && result.continuationPoint.length) || (result.references ?? []).length > maxReferences,
    };
  });
}

function describeReference(ref: ReferenceDescription): BrowsedNode {
  const typeDefinition = ref.typeDefinition && !ref.typeDefinition.isEmpty() ? plainId(ref.typeDefinition) : undefined;
  return {
    nodeId: plainId(ref.nodeId),
    browseName: ref.browseName.name ?? '',
    displayName: ref.displayName.text ?? ref.browseName.name ?? '',
    nodeClass: NodeClass[ref.nodeClass] ?? String(ref.nodeClass),
    ...(typeDefinition ? { typeDefinition } : {}),
    referenceType: referenceTypeName(ref.referenceTypeId),
  };
}

/** As node ids are written in profiles (`i=58`, `ns=2;s=Line1`): an ExpandedNodeId prints `ns=0;` and its server index. */
function plainId(id: ExpandedNodeId): string {
  return new NodeId(id.identifierType, id.value, id.namespace).toString().replace(/^ns=0;/, '');
}

const REFERENCE_TYPES: Record<number, string> = { 35: 'Organizes', 46: 'HasProperty', 47: 'HasComponent', 49: 'HasOrderedComponent', 48: 'HasNotifier' };

function referenceTypeName(id: NodeId): string {
  return id.namespace === 0 && typeof id.value === 'number' ? (REFERENCE_TYPES[id.value] ?? id.toString()) : id.toString();
}
