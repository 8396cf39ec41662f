/**
 * The DMI v1beta1 messages (../proto/api.proto) as @grpc/proto-loader gives
 * them with dmi-proto.ts's options: field names as in the proto (keepCase),
 * int64 as numbers, bytes as Buffers, `Any` as { type_url, value }. Only the
 * fields the mapper reads or writes are typed; a received message may lack
 * any of them (proto3 has no required fields).
 */

/** google.protobuf.Any: the type's URL and its encoded message. */
export interface DmiAny {
  type_url: string;
  value: Uint8Array;
}

export interface CustomizedValue {
  data?: Record<string, DmiAny>;
}

export interface ModelProperty {
  name?: string;
  description?: string;
  /** INT, FLOAT, DOUBLE, STRING, BOOLEAN, BYTES (any case). */
  type?: string;
  /** ReadWrite or ReadOnly. */
  accessMode?: string;
  minimum?: string;
  maximum?: string;
  unit?: string;
}

export interface DeviceModel {
  name?: string;
  namespace?: string;
  spec?: { properties?: ModelProperty[] } | null;
}

export interface TwinProperty {
  value?: string;
  metadata?: Record<string, string>;
}

export interface DeviceProperty {
  name?: string;
  desired?: TwinProperty | null;
  visitors?: { protocolName?: string; configData?: CustomizedValue | null } | null;
  reportCycle?: number;
  collectCycle?: number;
  reportToCloud?: boolean;
}

export interface Twin {
  propertyName: string;
  observedDesired?: TwinProperty;
  reported?: TwinProperty;
}

export interface DeviceStatus {
  twins?: Twin[];
  reportToCloud?: boolean;
  reportCycle?: number;
}

export interface Device {
  name?: string;
  namespace?: string;
  spec?: {
    deviceModelReference?: string;
    protocol?: { protocolName?: string; configData?: CustomizedValue | null } | null;
    properties?: DeviceProperty[];
  } | null;
  status?: DeviceStatus | null;
}

export interface MapperInfo {
  name: string;
  version: string;
  api_version: string;
  protocol: string;
  /** The mapper's own gRPC unix socket, as bytes. */
  address: Buffer;
  state: string;
}

export interface MapperRegisterRequest {
  withData: boolean;
  mapper: MapperInfo;
}

export interface MapperRegisterResponse {
  modelList?: DeviceModel[];
  deviceList?: Device[];
}

export interface ReportDeviceStatusRequest {
  deviceName: string;
  deviceNamespace: string;
  reportedDevice: DeviceStatus;
}

export interface ReportDeviceStatesRequest {
  deviceName: string;
  deviceNamespace: string;
  state: string;
}
