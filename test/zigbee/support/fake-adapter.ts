/**
 * A ZigBee network without radio: a zigbee-herdsman Adapter whose devices are
 * simulated, so herdsman's own Controller, interview, database and ZCL
 * encoding run for real, and the converters see real frames. herdsman ships
 * no mock adapter; this one replaces Adapter.create for serial ports named
 * `fake://<network id>` (installFakeAdapters), any other port is left alone.
 *
 * A simulated device answers ZDO descriptors, ZCL reads (from its attribute
 * store), writes, configureReporting and bind, and the cluster commands the
 * tests use (genOnOff, genLevelCtrl, lightingColorCtrl); every frame it
 * receives is recorded in `sent`. Like real adapters, answers are also
 * emitted as `zclPayload` (herdsman turns them into `message` events).
 */
import { EventEmitter } from 'node:events';
import { Zcl, Zdo } from 'zigbee-herdsman';
import { Adapter } from 'zigbee-herdsman/dist/adapter/adapter';
import type { ZclPayload } from 'zigbee-herdsman/dist/adapter/events';
import type * as TsType from 'zigbee-herdsman/dist/adapter/tstype';

export interface SimEndpoint {
  id: number;
  profileId?: number;
  deviceId: number;
  inputClusters: number[];
  outputClusters: number[];
}

export interface SimDevice {
  ieee: string;
  nwk: number;
  type: 'Router' | 'EndDevice';
  manufacturerCode: number;
  basic: { modelId: string; manufacturerName: string; powerSource: number; zclVersion?: number; appVersion?: number; stackVersion?: number; hwVersion?: number; dateCode?: string; swBuildId?: string };
  endpoints: SimEndpoint[];
  /** Attribute values by `<endpoint>/<cluster name>`, attribute name → value. */
  attributes: Record<string, Record<string, unknown>>;
  /** Answers nothing while false (out of range, battery empty). */
  online: boolean;
}

export interface SentFrame {
  ieee: string;
  endpoint: number;
  cluster: string;
  command: string;
  payload: unknown;
}

/** Templates of the devices tests join, as the real ones describe themselves. */
export const MODELS = {
  /** Aqara temperature/humidity/pressure sensor (WSDCGQ11LM). */
  weather: (ieee: string, nwk: number): SimDevice => ({
    ieee,
    nwk,
    type: 'EndDevice',
    manufacturerCode: 4447,
    basic: { modelId: 'lumi.weather', manufacturerName: 'LUMI', powerSource: 3, zclVersion: 1, appVersion: 3 },
    endpoints: [{ id: 1, profileId: 260, deviceId: 0x5f01, inputClusters: [0x0000, 0x0003, 0xffff, 0x0402, 0x0403, 0x0405], outputClusters: [0x0000, 0x0004, 0xffff] }],
    attributes: { '1/msTemperatureMeasurement': { measuredValue: 2154 }, '1/msRelativeHumidity': { measuredValue: 4520 }, '1/msPressureMeasurement': { measuredValue: 1013, scaledValue: 10132, scale: -1 } },
    online: true,
  }),
  /** IKEA TRADFRI bulb E27 WS opal 980lm (LED1545G12): dimmable, colour temperature. */
  bulb: (ieee: string, nwk: number): SimDevice => ({
    ieee,
    nwk,
    type: 'Router',
    manufacturerCode: 4476,
    basic: { modelId: 'TRADFRI bulb E27 WS opal 980lm', manufacturerName: 'IKEA of Sweden', powerSource: 1, zclVersion: 3, appVersion: 17, swBuildId: '2.3.095' },
    endpoints: [{ id: 1, profileId: 260, deviceId: 0x0220, inputClusters: [0x0000, 0x0003, 0x0004, 0x0005, 0x0006, 0x0008, 0x0300, 0x0b05, 0x1000], outputClusters: [0x0005, 0x0019, 0x0020, 0x1000] }],
    attributes: { '1/genOnOff': { onOff: 0 }, '1/genLevelCtrl': { currentLevel: 100 }, '1/lightingColorCtrl': { colorTemperature: 370, colorMode: 2 } },
    online: true,
  }),
  /** Innr SP 120: smart plug with power metering. */
  plug: (ieee: string, nwk: number): SimDevice => ({
    ieee,
    nwk,
    type: 'Router',
    manufacturerCode: 4454,
    basic: { modelId: 'SP 120', manufacturerName: 'innr', powerSource: 1, zclVersion: 2, appVersion: 1 },
    endpoints: [{ id: 1, profileId: 260, deviceId: 0x0051, inputClusters: [0x0000, 0x0003, 0x0004, 0x0005, 0x0006, 0x0702, 0x0b04], outputClusters: [0x000a, 0x0019] }],
    attributes: {
      '1/genOnOff': { onOff: 1 },
      '1/haElectricalMeasurement': { activePower: 0, rmsVoltage: 230, rmsCurrent: 0, acPowerMultiplier: 1, acPowerDivisor: 1, acVoltageMultiplier: 1, acVoltageDivisor: 1, acCurrentMultiplier: 1, acCurrentDivisor: 1000 },
      '1/seMetering': { currentSummDelivered: 0, multiplier: 1, divisor: 100 },
    },
    online: true,
  }),
} satisfies Record<string, (ieee: string, nwk: number) => SimDevice>;

/** A device numbers its own frames (8-bit, wrapping), as a real one does. */
const sequences = new Map<string, number>();
const nextTsn = (ieee: string) => {
  const next = ((sequences.get(ieee) ?? 0) + 1) & 0xff;
  sequences.set(ieee, next);
  return next;
};

/** The simulated network one or more FakeAdapters (one per connection) serve. */
export class FakeNetwork extends EventEmitter {
  readonly devices = new Map<string, SimDevice>();
  readonly sent: SentFrame[] = [];
  adapter?: FakeAdapter;
  /** Connection attempts to refuse before one succeeds (coordinator unplugged). */
  failStarts = 0;
  starts = 0;
  permitJoinSeconds = 0;
  readonly coordinatorIeee = '0x00124b0000c0ffee';
  /** Pending reads are held while set (tests of in-flight reads), released by the function holdReads returns. */
  private held?: Promise<void>;
  /** Whether the adapter was started with a network key, and the key (tests check it is not logged). */
  networkKey?: number[];

  add(device: SimDevice): SimDevice {
    this.devices.set(device.ieee, device);
    return device;
  }

  /** The device joins: herdsman interviews it through the adapter. */
  join(device: SimDevice): void {
    this.add(device);
    this.requireAdapter().emit('deviceJoined', { networkAddress: device.nwk, ieeeAddr: device.ieee });
  }

  /** The device reports attributes (an attributeReport frame); `attributes` by name or numeric id ({id: {value, type}}). */
  report(ieee: string, endpoint: number, cluster: string, attributes: Record<string, unknown>, linkquality = 120): void {
    const device = this.devices.get(ieee)!;
    const c = Zcl.Utils.getCluster(cluster, device.manufacturerCode, {});
    const payload = Object.entries(attributes).map(([key, value]) => {
      if (/^\d+$/.test(key)) {
        const raw = value as { value: unknown; type: number };
        return { attrId: Number(key), dataType: raw.type, attrData: raw.value };
      }
      const attribute = Zcl.Utils.getClusterAttribute(c, key, device.manufacturerCode)!;
      return { attrId: attribute.ID, dataType: attribute.type, attrData: value };
    });
    const frame = Zcl.Frame.create(Zcl.FrameType.GLOBAL, Zcl.Direction.SERVER_TO_CLIENT, true, undefined, nextTsn(ieee), 'report', c.ID, payload, {});
    this.emitFrame(device, endpoint, frame, linkquality);
  }

  /** The coordinator goes away (USB unplugged, network coordinator rebooted). */
  disconnect(): void {
    this.adapter?.emit('disconnected');
  }

  holdReads(): () => void {
    let release!: () => void;
    this.held = new Promise<void>((resolve) => (release = resolve));
    return () => {
      this.held = undefined;
      release();
    };
  }

  async gate(): Promise<void> {
    if (this.held) await this.held;
  }

  emitFrame(device: SimDevice, endpoint: number, frame: Zcl.Frame, linkquality = 120): void {
    const data = frame.toBuffer();
    const payload: ZclPayload = { clusterID: frame.cluster.ID, address: device.nwk, header: Zcl.Header.fromBuffer(data), data, endpoint, linkquality, groupID: 0, wasBroadcast: false, destinationEndpoint: 1 };
    this.requireAdapter().emit('zclPayload', payload);
  }

  private requireAdapter(): FakeAdapter {
    if (!this.adapter) throw new Error('the fake coordinator is not started');
    return this.adapter;
  }
}

const networks = new Map<string, FakeNetwork>();

/** Serial port `fake://<id>` runs on this network. */
export function fakeNetwork(id: string): FakeNetwork {
  let network = networks.get(id);
  if (!network) networks.set(id, (network = new FakeNetwork()));
  return network;
}

let installed: typeof Adapter.create | undefined;

/** Makes herdsman open FakeAdapters for `fake://` ports. Idempotent; returns a function that undoes it. */
export function installFakeAdapters(): () => void {
  if (!installed) {
    installed = Adapter.create;
    const original = installed;
    Adapter.create = async (network, serialPort, backupPath, adapterOptions) => {
      const path = serialPort.path ?? '';
      if (!path.startsWith('fake://')) return original.call(Adapter, network, serialPort, backupPath, adapterOptions);
      return new FakeAdapter(fakeNetwork(path.slice('fake://'.length)), network, serialPort, backupPath, adapterOptions);
    };
  }
  return () => {
    if (installed) Adapter.create = installed;
    installed = undefined;
  };
}

const SUCCESS = Zdo.Status.SUCCESS;

export class FakeAdapter extends Adapter {
  private stopped = false;

  constructor(
    private readonly net: FakeNetwork,
    networkOptions: TsType.NetworkOptions,
    serialPortOptions: TsType.SerialPortOptions,
    backupPath: string,
    adapterOptions: TsType.AdapterOptions,
  ) {
    super(networkOptions, serialPortOptions, backupPath, adapterOptions);
    this.hasZdoMessageOverhead = false;
    this.manufacturerID = Zcl.ManufacturerCode.TEXAS_INSTRUMENTS;
  }

  async start(): Promise<TsType.StartResult> {
    this.net.starts++;
    if (this.net.failStarts > 0) {
      this.net.failStarts--;
      throw new Error('Failed to connect to the adapter (fake: unplugged)');
    }
    this.net.adapter = this;
    this.net.networkKey = this.networkOptions.networkKey;
    return 'resumed';
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.net.adapter === this) this.net.adapter = undefined;
  }

  async getCoordinatorIEEE(): Promise<string> {
    return this.net.coordinatorIeee;
  }

  async getCoordinatorVersion(): Promise<TsType.CoordinatorVersion> {
    return { type: 'zStack3x0 (fake)', meta: { revision: 20240710, transportrev: 2, product: 1 } };
  }

  async reset(): Promise<void> {}
  async supportsBackup(): Promise<boolean> {
    return false;
  }
  async backup(): Promise<never> {
    throw new Error('no backup on the fake adapter');
  }

  async getNetworkParameters(): Promise<TsType.NetworkParameters> {
    return { panID: this.networkOptions.panID, extendedPanID: '0xdddddddddddddddd', channel: this.networkOptions.channelList[0], nwkUpdateID: 0 };
  }

  async addInstallCode(): Promise<void> {}

  /** Nothing the simulated devices send unasked is awaited: a wait ends with its timeout, as on a quiet network. */
  waitFor(...args: Parameters<Adapter['waitFor']>): { promise: Promise<ZclPayload>; cancel: () => void } {
    const timeout = args[8];
    let timer: NodeJS.Timeout | undefined;
    const promise = new Promise<ZclPayload>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Timeout - no frame within ${timeout} ms (fake)`)), timeout);
      timer.unref();
    });
    promise.catch(() => undefined);
    return { promise, cancel: () => clearTimeout(timer) };
  }

  async permitJoin(seconds: number): Promise<void> {
    this.net.permitJoinSeconds = seconds;
  }

  async sendZdo(ieeeAddress: string, networkAddress: number, clusterId: Zdo.ClusterId, _payload: Buffer, disableResponse: boolean): Promise<any> {
    if (disableResponse) return undefined;
    if (networkAddress === 0) {
      // The coordinator itself.
      if (clusterId === Zdo.ClusterId.ACTIVE_ENDPOINTS_REQUEST) return [SUCCESS, { nwkAddress: 0, endpointList: [1] }];
      if (clusterId === Zdo.ClusterId.SIMPLE_DESCRIPTOR_REQUEST) {
        return [SUCCESS, { nwkAddress: 0, length: 0, endpoint: 1, profileId: 260, deviceId: 5, deviceVersion: 0, inClusterList: [0, 6], outClusterList: [0, 6] }];
      }
      return [SUCCESS, {}];
    }
    const device = this.net.devices.get(ieeeAddress);
    if (!device || !device.online) throw new Error(`ZDO request to ${ieeeAddress} timed out (fake: no answer)`);
    switch (clusterId) {
      case Zdo.ClusterId.NODE_DESCRIPTOR_REQUEST:
        return [
          SUCCESS,
          {
            nwkAddress: device.nwk,
            logicalType: device.type === 'Router' ? 1 : 2,
            fragmentationSupported: undefined,
            apsFlags: 0,
            frequencyBand: 8,
            capabilities: {},
            manufacturerCode: device.manufacturerCode,
            maxBufSize: 80,
            maxIncTxSize: 160,
            serverMask: { stackComplianceRevision: 22 },
            maxOutTxSize: 160,
            deprecated1: 0,
            tlvs: [],
          },
        ];
      case Zdo.ClusterId.ACTIVE_ENDPOINTS_REQUEST:
        return [SUCCESS, { nwkAddress: device.nwk, endpointList: device.endpoints.map((e) => e.id) }];
      case Zdo.ClusterId.SIMPLE_DESCRIPTOR_REQUEST: {
        // The request's last byte is the endpoint.
        const id = _payload[_payload.length - 1];
        const ep = device.endpoints.find((e) => e.id === id) ?? device.endpoints[0];
        return [SUCCESS, { nwkAddress: device.nwk, length: 0, endpoint: ep.id, profileId: ep.profileId ?? 260, deviceId: ep.deviceId, deviceVersion: 1, inClusterList: ep.inputClusters, outClusterList: ep.outputClusters }];
      }
      default:
        return [SUCCESS, {}];
    }
  }

  async sendZclFrameToEndpoint(ieeeAddr: string, _networkAddress: number, endpoint: number, zclFrame: Zcl.Frame, _timeout: number, disableResponse: boolean): Promise<ZclPayload | undefined> {
    if (this.stopped) throw new Error('adapter stopped');
    const device = this.net.devices.get(ieeeAddr);
    if (!device || !device.online) throw new Error(`Timeout - ${ieeeAddr} did not answer (fake: no answer)`);
    const cluster = zclFrame.cluster.name;
    const command = zclFrame.command.name;
    this.net.sent.push({ ieee: ieeeAddr, endpoint, cluster, command, payload: zclFrame.payload });
    const store = (device.attributes[`${endpoint}/${cluster}`] ??= {});
    const global = zclFrame.header.frameControl.frameType === Zcl.FrameType.GLOBAL;
    let reply: Zcl.Frame | undefined;
    if (global && command === 'read') {
      if (cluster === 'genBasic') Object.assign(store, device.basic);
      await this.net.gate();
      if (this.stopped) throw new Error('adapter stopped');
      const records = (zclFrame.payload as Array<{ attrId: number }>).map(({ attrId }) => {
        const attribute = Object.values(zclFrame.cluster.attributes).find((a) => a.ID === attrId);
        const value = attribute ? store[attribute.name] : undefined;
        return value === undefined || !attribute ? { attrId, status: Zcl.Status.UNSUPPORTED_ATTRIBUTE } : { attrId, status: Zcl.Status.SUCCESS, dataType: attribute.type, attrData: value };
      });
      reply = Zcl.Frame.create(Zcl.FrameType.GLOBAL, Zcl.Direction.SERVER_TO_CLIENT, true, zclFrame.header.manufacturerCode, zclFrame.header.transactionSequenceNumber, 'readRsp', zclFrame.cluster.ID, records, {});
    } else if (global && command === 'write') {
      for (const { attrId, attrData } of zclFrame.payload as Array<{ attrId: number; attrData: unknown }>) {
        const attribute = Object.values(zclFrame.cluster.attributes).find((a) => a.ID === attrId);
        if (attribute) store[attribute.name] = attrData;
      }
      reply = Zcl.Frame.create(Zcl.FrameType.GLOBAL, Zcl.Direction.SERVER_TO_CLIENT, true, zclFrame.header.manufacturerCode, zclFrame.header.transactionSequenceNumber, 'writeRsp', zclFrame.cluster.ID, [{ status: Zcl.Status.SUCCESS }], {});
    } else if (global && command === 'configReport') {
      reply = Zcl.Frame.create(Zcl.FrameType.GLOBAL, Zcl.Direction.SERVER_TO_CLIENT, true, zclFrame.header.manufacturerCode, zclFrame.header.transactionSequenceNumber, 'configReportRsp', zclFrame.cluster.ID, [{ status: Zcl.Status.SUCCESS }], {});
    } else if (!global) {
      this.apply(store, cluster, command, zclFrame.payload as Record<string, number>);
      reply = Zcl.Frame.create(Zcl.FrameType.GLOBAL, Zcl.Direction.SERVER_TO_CLIENT, true, zclFrame.header.manufacturerCode, zclFrame.header.transactionSequenceNumber, 'defaultRsp', zclFrame.cluster.ID, { cmdId: zclFrame.command.ID, statusCode: Zcl.Status.SUCCESS }, {});
    }
    if (!reply || disableResponse) return undefined;
    const data = reply.toBuffer();
    const answer: ZclPayload = { clusterID: reply.cluster.ID, address: device.nwk, header: Zcl.Header.fromBuffer(data), data, endpoint, linkquality: 120, groupID: 0, wasBroadcast: false, destinationEndpoint: 1 };
    // Real adapters hand every frame received to herdsman as well.
    setImmediate(() => this.emit('zclPayload', answer));
    return answer;
  }

  /** What a real device does on the cluster commands tests send. */
  private apply(store: Record<string, unknown>, cluster: string, command: string, payload: Record<string, number>): void {
    if (cluster === 'genOnOff') {
      if (command === 'on') store.onOff = 1;
      if (command === 'off') store.onOff = 0;
      if (command === 'toggle') store.onOff = store.onOff ? 0 : 1;
    }
    if (cluster === 'genLevelCtrl' && (command === 'moveToLevel' || command === 'moveToLevelWithOnOff')) store.currentLevel = payload.level;
    if (cluster === 'lightingColorCtrl' && command === 'moveToColorTemp') store.colorTemperature = payload.colortemp;
  }

  async sendZclFrameToGroup(): Promise<void> {}
  async sendZclFrameToAll(): Promise<void> {}
  async setChannelInterPAN(): Promise<void> {}
  async sendZclFrameInterPANToIeeeAddr(): Promise<void> {}
  async sendZclFrameInterPANBroadcast(): Promise<any> {
    return undefined;
  }
  async restoreChannelInterPAN(): Promise<void> {}
}
