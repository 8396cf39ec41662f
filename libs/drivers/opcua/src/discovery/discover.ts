/**
 * Discovery: each configured server (GW_OPCUA_DISCOVERY_ENDPOINTS) is
 * browsed from its Objects folder down GW_OPCUA_DISCOVERY_DEPTH levels; every
 * object of the server's own namespaces that holds variables is proposed as
 * a device. Provision watchers match the protocol properties: Endpoint,
 * ObjectNodeId, BrowseName (and TypeDefinition). One Browse call per level;
 * a server that fails is logged and skipped, the others still count.
 */
import type { DiscoveredDevice, DriverContext } from '@gw/device-sdk/driver';
import { NodeId, resolveNodeId } from 'node-opcua-client';
import { browseChildren, BrowsedNode } from './browse';
import { BrowseDeps, withBrowseSession } from './session';
import { edgexName } from './value-types';

const OBJECTS_FOLDER = 'i=85';
/** Nodes per Browse request: servers bound it (MaxNodesPerBrowse). */
const BROWSE_CHUNK = 100;

export interface DiscoverDeps extends BrowseDeps {
  logger: DriverContext['logger'];
}

export async function discoverDevices(deps: DiscoverDeps): Promise<DiscoveredDevice[]> {
  const found: DiscoveredDevice[] = [];
  for (const url of deps.settings.discoveryEndpoints ?? []) {
    try {
      const objects = await withBrowseSession(deps, url, (session) => objectsWithVariables(session, deps.settings.discoveryDepth, deps.settings.browseMaxReferences));
      found.push(...proposals(url, objects));
      deps.logger.info({ endpoint: url, devices: objects.length }, 'OPC UA discovery browsed a server');
    } catch (err) {
      deps.logger.warn({ endpoint: url, err: (err as Error).message }, 'OPC UA discovery could not browse a server');
    }
  }
  return found;
}

type Session = Parameters<Parameters<typeof withBrowseSession>[2]>[0];

/** Objects (not namespace 0's) down to `depth` levels below Objects that have at least one variable. */
async function objectsWithVariables(session: Session, depth: number, maxReferences: number): Promise<BrowsedNode[]> {
  const withVariables: BrowsedNode[] = [];
  const seen = new Set<string>([OBJECTS_FOLDER]);
  let frontier: Array<{ node?: BrowsedNode; id: NodeId }> = [{ id: resolveNodeId(OBJECTS_FOLDER) }];
  // One level more than `depth`: the objects of the last level are browsed for their variables.
  for (let level = 0; level <= depth && frontier.length > 0; level++) {
    const next: typeof frontier = [];
    for (let i = 0; i < frontier.length; i += BROWSE_CHUNK) {
      const chunk = frontier.slice(i, i + BROWSE_CHUNK);
      const levels = await browseChildren(session, chunk.map((f) => f.id), maxReferences);
      levels.forEach((children, j) => {
        const parent = chunk[j].node;
        if (parent && children.references.some((r) => r.nodeClass === 'Variable')) withVariables.push(parent);
        if (level === depth) return;
        for (const child of children.references) {
          const id = resolveNodeId(child.nodeId);
          if (child.nodeClass !== 'Object' || id.namespace === 0 || seen.has(child.nodeId)) continue;
          seen.add(child.nodeId);
          next.push({ node: child, id });
        }
      });
    }
    frontier = next.slice(0, maxReferences);
  }
  return withVariables;
}

function proposals(url: string, objects: BrowsedNode[]): DiscoveredDevice[] {
  const address = new URL(url);
  const prefix = `opcua-${address.hostname}-${address.port || '4840'}`;
  const names = new Set<string>();
  return objects.map((object) => {
    let name = edgexName(`${prefix}-${object.browseName}`);
    for (let n = 2; names.has(name); n++) name = edgexName(`${prefix}-${object.browseName}-${n}`);
    names.add(name);
    return {
      name,
      description: `OPC UA object ${object.displayName} (${object.nodeId}) on ${url}`,
      labels: ['opcua'],
      protocols: {
        opcua: {
          Endpoint: url,
          ObjectNodeId: object.nodeId,
          BrowseName: object.browseName,
          ...(object.typeDefinition ? { TypeDefinition: object.typeDefinition } : {}),
        },
      },
    };
  });
}
