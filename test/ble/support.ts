/**
 * The BLE driver on real noble over fake bindings, with a recording SDK
 * context; sample peripherals and a profile that uses every kind of address.
 */
import { parseDeviceProfile } from '@gw/contracts';
import type { AsyncValues, DriverContext } from '@gw/device-sdk/driver';
import { bleSettings, BleSettings } from '../../libs/drivers/ble/src/descriptor';
import { BleDriver, BleDriverOptions } from '../../libs/drivers/ble/src/ble-driver';
import { nobleOnBindings } from '../../libs/drivers/ble/src/noble-types';
import { FakeBindings, FakePeripheral } from './fake-bindings';

/** Records pushes; `next` resolves with the first (new) push that matches. */
export class RecordingContext implements DriverContext {
  readonly serviceName = 'device-ble';
  readonly pushed: AsyncValues[] = [];
  private waiters: Array<{ match: (v: AsyncValues) => boolean; resolve: (v: AsyncValues) => void }> = [];
  readonly warnings: string[] = [];
  readonly logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: (obj: object, msg?: string) => void this.warnings.push(`${msg} ${JSON.stringify(obj)}`),
    error: (obj: object, msg?: string) => void this.warnings.push(`${msg} ${JSON.stringify(obj)}`),
  };

  pushValues(values: AsyncValues): void {
    this.pushed.push(values);
    for (const w of this.waiters.filter((w) => w.match(values))) {
      this.waiters = this.waiters.filter((x) => x !== w);
      w.resolve(values);
    }
  }

  /** The next push (from now on) that matches, within `ms`. */
  next(match: (v: AsyncValues) => boolean, what: string, ms = 10_000): Promise<AsyncValues> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no push of ${what} within ${ms} ms; pushed: ${JSON.stringify(this.pushed.slice(-5))}`)), ms);
      this.waiters.push({
        match,
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
      });
    });
  }
}

export function settings(overrides: Record<string, unknown> = {}): BleSettings {
  return bleSettings.parse({
    connectTimeout: '2s',
    gattTimeout: '2s',
    reconnectMin: '20ms',
    reconnectMax: '100ms',
    adapterRetryMin: '50ms',
    adapterRetryMax: '200ms',
    scanDuration: '300ms',
    advertisementInterval: '1ms',
    ...overrides,
  });
}

export interface Rig {
  driver: BleDriver;
  bindings: FakeBindings;
  context: RecordingContext;
  stop(): Promise<void>;
}

/** A started driver on noble over `bindings`. */
export async function startRig(peripherals: FakePeripheral[], overrides: Record<string, unknown> = {}, options: BleDriverOptions = {}): Promise<Rig> {
  const bindings = new FakeBindings(peripherals);
  const driver = new BleDriver(settings(overrides), { loadNoble: () => nobleOnBindings(bindings), ...options });
  const context = new RecordingContext();
  await driver.initialize(context);
  await driver.start();
  await waitPowered(driver);
  return { driver, bindings, context, stop: () => driver.stop(true) };
}

/** Resolves once the driver's adapter is powered on (at once when it is). */
export function waitPowered(driver: BleDriver, ms = 5_000): Promise<void> {
  const adapter = driver.adapter;
  if (adapter.powered) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`adapter not powered within ${ms} ms: ${JSON.stringify(adapter.status())}`));
    }, ms);
    const off = adapter.onPowerChange((powered) => {
      if (!powered) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

export const SENSOR_MAC = 'C0:FF:EE:00:00:01';
export const CUSTOM_SERVICE = '6e400001b5a3f393e0a9e50e24dcca9e';

/** A thermometer: battery, environmental sensing, a custom service with a byte-mapped record, a writable setpoint and a notifying counter. */
export function sensorPeripheral(address = SENSOR_MAC, name = 'Thermo-1'): FakePeripheral {
  return {
    address,
    name,
    rssi: -58,
    serviceUuids: ['181a'],
    manufacturerData: Buffer.from([0x59, 0x00, 0x01, 0xe8, 0x03]),
    services: {
      '180a': {
        '2a29': { properties: ['read'], value: Buffer.from('ACME Sensors') },
        '2a24': { properties: ['read'], value: Buffer.from('TH-100') },
      },
      '180f': { '2a19': { properties: ['read', 'notify'], value: Buffer.from([87]) } },
      '181a': {
        '2a6e': { properties: ['read', 'notify'], value: Buffer.from([0x2a, 0x08]) }, // 20.90 °C
        '2a6f': { properties: ['read'], value: Buffer.from([0x8c, 0x13]) }, // 50.04 %
      },
      '1809': { '2a1c': { properties: ['indicate'], value: Buffer.from([0x00, 0x47, 0x0e, 0x00, 0xfe]) } },
      [CUSTOM_SERVICE]: {
        fff1: { properties: ['read', 'write'], value: Buffer.from([0x01, 0x34, 0x12, 0x00, 0x00, 0x20, 0x41]) }, // status, uint16 0x1234, float32 10
        fff2: { properties: ['read', 'write'], value: Buffer.from([0x00, 0x00]) },
        fff3: { properties: ['notify'], value: Buffer.from([0, 0, 0, 0]) },
        fff4: { properties: ['writeWithoutResponse'], value: Buffer.from([0]) },
      },
    },
  };
}

export const SENSOR_PROFILE = parseDeviceProfile(`
name: BLE-Thermo
deviceResources:
  - name: Battery
    properties: { valueType: Uint8, readWrite: R, units: "%" }
    attributes: { characteristicUuid: "2A19" }
  - name: Temperature
    properties: { valueType: Float32, readWrite: R }
    attributes: { characteristicUuid: "2A6E", notify: true }
  - name: Humidity
    properties: { valueType: Float64, readWrite: R }
    attributes: { serviceUuid: "181A", characteristicUuid: "2A6F" }
  - name: Status
    properties: { valueType: Uint8, readWrite: R }
    attributes: { serviceUuid: "6E400001-B5A3-F393-E0A9-E50E24DCCA9E", characteristicUuid: "FFF1", startByte: 0, rawType: Uint8 }
  - name: Counter
    properties: { valueType: Uint16, readWrite: R }
    attributes: { characteristicUuid: "FFF1", startByte: 1, rawType: Uint16 }
  - name: Level
    properties: { valueType: Float32, readWrite: R }
    attributes: { characteristicUuid: "FFF1", startByte: 3, rawType: Float32 }
  - name: Setpoint
    properties: { valueType: Int16, readWrite: RW }
    attributes: { characteristicUuid: "FFF2", rawType: Int16, byteOrder: big }
  - name: Pulses
    properties: { valueType: Uint32, readWrite: R }
    attributes: { characteristicUuid: "FFF3", notify: true }
  - name: Trigger
    properties: { valueType: Uint8, readWrite: W }
    attributes: { characteristicUuid: "FFF4" }
  - name: BeaconTemp
    properties: { valueType: Int16, readWrite: R }
    attributes: { source: advertisement, manufacturerId: "0x0059", offset: 1 }
  - name: RSSI
    properties: { valueType: Int16, readWrite: R, units: dBm }
    attributes: { source: rssi }
  - name: Connection
    properties: { valueType: String, readWrite: R }
    attributes: { source: connection }
deviceCommands:
  - name: Climate
    readWrite: R
    resourceOperations: [{ deviceResource: Temperature }, { deviceResource: Humidity }]
`);
