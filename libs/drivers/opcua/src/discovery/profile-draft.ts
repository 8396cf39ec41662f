/**
 * An EdgeX device profile drafted from one OPC UA object: a resource per
 * variable it has (components and properties), named by browse name, with
 * valueType from DataType and ValueRank, readWrite from AccessLevel, units
 * from the EngineeringUnits property and a `nodeId` attribute (or, asked
 * for, a `browsePath` from the object: one draft then serves every object of
 * the type, each device reading its own through its ObjectNodeId). Variables
 * EdgeX cannot carry are listed as skipped, with why. What comes out loads
 * in core-metadata as is; the user edits it and uploads it.
 */
import type { DeviceProfile, DeviceResource } from '@gw/contracts';
import { ErrorKind, GatewayError } from '@gw/contracts';
import { AttributeIds, BrowsePath, ClientSession, DataValue, findBasicDataType, LocalizedText, NodeClass, NodeId } from 'node-opcua-client';
import { browseChildren, BrowsedNode } from './browse';
import { edgexName, edgexReadWrite, edgexValueType } from './value-types';

export interface SkippedVariable {
  nodeId: string;
  browseName: string;
  reason: string;
}

export interface ProfileDraft {
  profile: DeviceProfile;
  skipped: SkippedVariable[];
  /** The object had more variables than GW_OPCUA_BROWSE_MAX_REFERENCES. */
  truncated: boolean;
}

export interface DraftOptions {
  endpoint: string;
  /** The object as the caller wrote it, for messages. */
  objectText: string;
  name?: string;
  maxReferences: number;
  /** Write node ids with their namespace URI (`nsu=urn:plant;s=...`), which survives a server renumbering its namespaces, instead of EdgeX's index form. */
  namespaceUris?: boolean;
  /** Address variables by browse name from the device's object (`browsePath`) instead of by absolute `nodeId`. */
  relative?: boolean;
}

/** Attributes read per variable, in one Read call for all variables. */
const VARIABLE_ATTRIBUTES = [AttributeIds.DataType, AttributeIds.ValueRank, AttributeIds.AccessLevel, AttributeIds.Description, AttributeIds.BrowseName] as const;
const HAS_PROPERTY = 'i=46';
const READ_CHUNK = 500;

export async function profileDraft(session: ClientSession, object: NodeId, options: DraftOptions): Promise<ProfileDraft> {
  const [nodeClass, browseName, description] = await session.read(
    [AttributeIds.NodeClass, AttributeIds.BrowseName, AttributeIds.Description].map((attributeId) => ({ nodeId: object, attributeId })),
  );
  if (!nodeClass.statusCode.isGood()) {
    throw new GatewayError(ErrorKind.EntityNotFound, `${options.endpoint} has no node ${options.objectText} (${nodeClass.statusCode.name})`);
  }
  if (nodeClass.value.value !== NodeClass.Object) {
    const what = NodeClass[nodeClass.value.value as number] ?? 'not an Object';
    throw new GatewayError(ErrorKind.ContractInvalid, `query parameter nodeId: ${options.objectText} is a ${what}; give an Object, whose variables become the profile's resources`);
  }
  const [level] = await browseChildren(session, [object], options.maxReferences, NodeClass.Variable);
  const variables = level.references;
  const attributes = await readChunked(
    session,
    variables.flatMap((v) => VARIABLE_ATTRIBUTES.map((attributeId) => ({ nodeId: v.nodeId, attributeId }))),
  );
  const units = await engineeringUnits(session, variables);
  const basicTypes = new Map<string, Promise<number | undefined>>();
  const builtinOf = (dataType: NodeId): Promise<number | undefined> => {
    const key = dataType.toString();
    if (!basicTypes.has(key)) {
      const known = dataType.namespace === 0 && typeof dataType.value === 'number' && dataType.value <= 25 ? Promise.resolve(dataType.value) : undefined;
      basicTypes.set(key, known ?? findBasicDataType(session, dataType).then((t) => t as number, () => undefined));
    }
    return basicTypes.get(key)!;
  };

  const namespaces = options.namespaceUris ? await session.readNamespaceArray() : undefined;
  const written = (nodeId: string) => {
    const index = /^ns=(\d+);/.exec(nodeId);
    return namespaces && index && Number(index[1]) > 0 && namespaces[Number(index[1])] ? `nsu=${namespaces[Number(index[1])]};${nodeId.slice(index[0].length)}` : nodeId;
  };
  const resources: DeviceResource[] = [];
  const skipped: SkippedVariable[] = [];
  const names = new Set<string>();
  for (const [i, variable] of variables.entries()) {
    const [dataType, valueRank, accessLevel, about, qualified] = attributes.slice(i * VARIABLE_ATTRIBUTES.length, (i + 1) * VARIABLE_ATTRIBUTES.length);
    const skip = (reason: string) => skipped.push({ nodeId: variable.nodeId, browseName: variable.browseName, reason });
    if (!dataType.statusCode.isGood()) {
      skip(`its DataType cannot be read (${dataType.statusCode.name})`);
      continue;
    }
    const builtin = await builtinOf(dataType.value.value as NodeId);
    const valueType = edgexValueType(builtin === 0 ? undefined : builtin, valueRank.statusCode.isGood() ? (valueRank.value.value as number) : -1);
    const readWrite = edgexReadWrite(accessLevel.statusCode.isGood() ? (accessLevel.value.value as number) : 0);
    if (!valueType.ok) {
      skip(valueType.reason);
      continue;
    }
    if (!readWrite.ok) {
      skip(readWrite.reason);
      continue;
    }
    const name = uniqueName(edgexName(variable.browseName), names);
    const text = textOf(about);
    resources.push({
      name,
      ...(text ? { description: text } : {}),
      isHidden: false,
      properties: {
        valueType: valueType.value,
        readWrite: readWrite.value,
        ...(units[i] ? { units: units[i] } : {}),
        ...(valueType.value === 'Binary' ? { mediaType: 'application/octet-stream' } : {}),
      },
      attributes: options.relative ? { browsePath: pathSegment(qualified, variable.browseName) } : { nodeId: written(variable.nodeId) },
    });
  }

  const objectName = (browseName.value.value as { name?: string } | null)?.name ?? 'OpcuaObject';
  const objectText = textOf(description);
  const profile: DeviceProfile = {
    name: options.name ?? edgexName(objectName),
    description: `Drafted from ${objectName} (${options.objectText}) on ${options.endpoint}${objectText ? `: ${objectText}` : ''}`,
    labels: ['opcua', 'draft'],
    deviceResources: resources,
    deviceCommands: [],
  } as DeviceProfile;
  return { profile, skipped, truncated: level.truncated };
}

/** Each variable's EngineeringUnits display name, if it has the property (one TranslateBrowsePath, one Read). */
async function engineeringUnits(session: ClientSession, variables: BrowsedNode[]): Promise<Array<string | undefined>> {
  if (variables.length === 0) return [];
  const paths = variables.map(
    (v) =>
      new BrowsePath({
        startingNode: NodeId.resolveNodeId(v.nodeId),
        relativePath: { elements: [{ referenceTypeId: HAS_PROPERTY, isInverse: false, includeSubtypes: true, targetName: { namespaceIndex: 0, name: 'EngineeringUnits' } }] },
      }),
  );
  const found = await session.translateBrowsePath(paths);
  const targets = found.map((r) => (r.statusCode.isGood() && r.targets?.length ? r.targets[0].targetId.toString() : undefined));
  const wanted = targets.filter((t): t is string => t !== undefined);
  const values = await readChunked(session, wanted.map((nodeId) => ({ nodeId, attributeId: AttributeIds.Value })));
  const byNode = new Map(wanted.map((nodeId, i) => [nodeId, values[i]]));
  return targets.map((t) => {
    const value = t ? byNode.get(t) : undefined;
    const eu = value?.statusCode.isGood() ? (value.value.value as { displayName?: LocalizedText } | null) : undefined;
    return eu?.displayName?.text || undefined;
  });
}

async function readChunked(session: ClientSession, items: Array<{ nodeId: string | NodeId; attributeId: number }>): Promise<DataValue[]> {
  const out: DataValue[] = [];
  for (let i = 0; i < items.length; i += READ_CHUNK) out.push(...(await session.read(items.slice(i, i + READ_CHUNK))));
  return out;
}

function textOf(value: DataValue): string | undefined {
  return value.statusCode.isGood() ? ((value.value.value as LocalizedText | null)?.text ?? undefined) || undefined : undefined;
}

/** A variable's browse name as a browsePath segment: `<namespace index>:<name>` (just the name in namespace 0). */
function pathSegment(browseName: DataValue, fallback: string): string {
  const q = browseName.statusCode.isGood() ? (browseName.value.value as { namespaceIndex?: number; name?: string | null } | null) : null;
  const name = q?.name ?? fallback;
  return q?.namespaceIndex ? `${q.namespaceIndex}:${name}` : name;
}

function uniqueName(base: string, taken: Set<string>): string {
  let name = base;
  for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
  taken.add(name);
  return name;
}
