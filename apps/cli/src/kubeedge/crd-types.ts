/**
 * KubeEdge's device CRDs, group devices.kubeedge.io version v1beta1
 * (kubeedge/kubeedge build/crds/devices/devices_v1beta1_{devicemodel,device}.yaml):
 * the fields `gw export kubeedge` writes and `gw import kubeedge` reads.
 */
export const KUBEEDGE_API_VERSION = 'devices.kubeedge.io/v1beta1';

/** Annotations keeping what a Kubernetes object has no field for (the EdgeX name, when it is not a valid Kubernetes name); prefixed with a domain, as Kubernetes asks of tools. */
export const ANNOTATION = {
  name: 'edgexfoundry.org/name',
  description: 'edgexfoundry.org/description',
  /** A JSON list. */
  labels: 'edgexfoundry.org/labels',
  manufacturer: 'edgexfoundry.org/manufacturer',
  model: 'edgexfoundry.org/model',
  service: 'edgexfoundry.org/service',
} as const;

/**
 * The key of a Device's spec.protocol.configData holding its EdgeX protocol
 * key (`modbus-tcp`): protocolName names the mapper (one per device service,
 * the driver: `modbus`), as edgecore routes devices by it.
 */
export const EDGEX_PROTOCOL = 'edgexProtocol';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  annotations?: Record<string, string>;
}

export type KubeEdgeType = 'INT' | 'FLOAT' | 'DOUBLE' | 'STRING' | 'BOOLEAN' | 'BYTES';

export interface ModelProperty {
  name: string;
  description?: string;
  type: KubeEdgeType;
  accessMode: 'ReadWrite' | 'ReadOnly';
  minimum?: string;
  maximum?: string;
  unit?: string;
}

export interface DeviceModelCrd {
  apiVersion: typeof KUBEEDGE_API_VERSION;
  kind: 'DeviceModel';
  metadata: ObjectMeta;
  spec: { protocol?: string; properties: ModelProperty[] };
}

export interface DeviceProperty {
  name: string;
  desired?: { value: string; metadata?: Record<string, string> };
  visitors?: { protocolName?: string; configData?: Record<string, unknown> };
  reportCycle?: number;
  collectCycle?: number;
  reportToCloud?: boolean;
}

export interface DeviceCrd {
  apiVersion: typeof KUBEEDGE_API_VERSION;
  kind: 'Device';
  metadata: ObjectMeta;
  spec: {
    deviceModelRef: { name: string };
    nodeName?: string;
    protocol?: { protocolName?: string; configData?: Record<string, unknown> };
    properties?: DeviceProperty[];
    methods?: Array<{ name: string; description?: string; propertyNames?: string[] }>;
  };
}
