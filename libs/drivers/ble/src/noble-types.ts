/**
 * The part of noble (@abandonware/noble 1.9.2) the driver uses, typed here
 * because the package types only its default export. Loading goes through
 * loadNoble / nobleOnBindings, the one place that names the package.
 */
import type { EventEmitter } from 'node:events';

export type AdapterState = 'unknown' | 'resetting' | 'unsupported' | 'unauthorized' | 'poweredOff' | 'poweredOn';

export interface NobleAdvertisement {
  localName?: string;
  txPowerLevel?: number;
  manufacturerData?: Buffer;
  serviceData?: Array<{ uuid: string; data: Buffer }>;
  serviceUuids?: string[];
}

export interface NobleCharacteristic extends EventEmitter {
  uuid: string;
  name?: string | null;
  properties: string[];
  readAsync(): Promise<Buffer>;
  writeAsync(data: Buffer, withoutResponse: boolean): Promise<void>;
  subscribeAsync(): Promise<void>;
  unsubscribeAsync(): Promise<void>;
}

export interface NobleService extends EventEmitter {
  uuid: string;
  name?: string | null;
  characteristics: NobleCharacteristic[] | null;
}

export interface NoblePeripheral extends EventEmitter {
  id: string;
  address: string;
  connectable: boolean;
  advertisement: NobleAdvertisement;
  rssi: number;
  state: 'error' | 'connecting' | 'connected' | 'disconnecting' | 'disconnected';
  connectAsync(): Promise<void>;
  cancelConnect(): void;
  disconnectAsync(): Promise<void>;
  updateRssiAsync(): Promise<number>;
  discoverAllServicesAndCharacteristicsAsync(): Promise<{ services: NobleService[]; characteristics: NobleCharacteristic[] }>;
}

export interface Noble extends EventEmitter {
  /** Reading it initializes the bindings. */
  readonly state: AdapterState;
  address: string;
  startScanningAsync(serviceUuids?: string[], allowDuplicates?: boolean): Promise<void>;
  stopScanning(): void;
}

/** Noble on the kernel's HCI socket for adapter hci`deviceId`; throws (EAFNOSUPPORT) where the kernel has no Bluetooth. */
export async function loadNoble(deviceId: number | undefined): Promise<Noble> {
  // noble's HCI bindings cannot be closed once open (they hold the socket and SIGINT/exit hooks): one per adapter per process.
  const key = deviceId ?? -1;
  let noble = opened.get(key);
  if (!noble) {
    const { default: withCustomBinding } = await import('@abandonware/noble/with-custom-binding');
    noble = withCustomBinding(deviceId === undefined ? {} : { deviceId }) as Noble;
    // Opens hciN now (bindRaw): ENODEV or a refused bind throws here. Such an instance is never kept: noble
    // starts its bindings once, so only a new one can try again (a failed start added no process hooks, and
    // its socket closes when it is collected).
    void noble.state;
    opened.set(key, noble);
  }
  return noble;
}

const opened = new Map<number, Noble>();

/** Noble on other bindings (tests' fake bindings): the real noble above them, no kernel below. */
export async function nobleOnBindings(bindings: object): Promise<Noble> {
  const { default: withBindings } = await import('@abandonware/noble/with-bindings');
  return withBindings(bindings) as Noble;
}
