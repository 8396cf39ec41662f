/**
 * Fake noble bindings: the lowest layer that runs here (no Bluetooth in the
 * kernel, no /dev/vhci). An EventEmitter with the methods noble calls
 * (init, startScanning, connect, discoverServices, read, write, notify, ...)
 * answering with the events noble listens to, over simulated peripherals.
 * Everything above (noble itself, the driver, the SDK) is real.
 * Characteristics do only what their properties allow (as a device and noble
 * answer otherwise). Controls let a test notify, drop a connection, power
 * the adapter off and on, hold reads, and count concurrent connections.
 */
import { EventEmitter } from 'node:events';

export interface FakeCharacteristic {
  properties: string[];
  value: Buffer;
  /** A read throws this (as the HCI bindings throw on a handle they lost), instead of answering. */
  readThrows?: string;
}

export interface FakePeripheral {
  address: string;
  name?: string;
  rssi?: number;
  connectable?: boolean;
  manufacturerData?: Buffer;
  serviceData?: Array<{ uuid: string; data: Buffer }>;
  serviceUuids?: string[];
  /** service uuid -> characteristic uuid -> characteristic */
  services: Record<string, Record<string, FakeCharacteristic>>;
  /** Never answers a connect (out of range while advertising). */
  connectHangs?: boolean;
  /** Not heard advertising at all. */
  silent?: boolean;
}

const idOf = (address: string) => address.toLowerCase().replace(/:/g, '');

export class FakeBindings extends EventEmitter {
  state: 'poweredOn' | 'poweredOff' = 'poweredOn';
  scanning = false;
  readonly peripherals = new Map<string, FakePeripheral>();
  readonly connected = new Set<string>();
  readonly subscribed = new Set<string>();
  /** Most connections open at once. */
  maxConcurrent = 0;
  connects = 0;
  /** Reads wait here while holding (holdReads). */
  private held: Array<() => void> = [];
  holding = false;
  readonly writes: Array<{ address: string; characteristic: string; data: Buffer; withoutResponse: boolean }> = [];

  constructor(peripherals: FakePeripheral[] = []) {
    super();
    for (const p of peripherals) this.add(p);
  }

  add(peripheral: FakePeripheral): void {
    this.peripherals.set(idOf(peripheral.address), peripheral);
    if (this.scanning) setImmediate(() => this.advertise(peripheral.address));
  }

  // --- what noble calls ---

  /** Errors the next init()s throw, as the HCI bindings' bindRaw(hciN) does (ENODEV, EPERM). */
  readonly initFailures: Error[] = [];

  init(): void {
    const failure = this.initFailures.shift();
    if (failure) throw failure;
    setImmediate(() => {
      this.emit('addressChange', '00:1a:7d:da:71:13');
      this.emit('stateChange', this.state);
    });
  }

  setScanParameters(): void {
    setImmediate(() => this.emit('scanParametersSet'));
  }

  startScanning(): void {
    this.scanning = true;
    setImmediate(() => {
      this.emit('scanStart', false);
      for (const p of this.peripherals.values()) this.advertise(p.address);
    });
  }

  stopScanning(): void {
    this.scanning = false;
    setImmediate(() => this.emit('scanStop'));
  }

  connect(id: string): void {
    const p = this.peripherals.get(id);
    if (!p || p.connectHangs || this.state !== 'poweredOn') return;
    this.connects++;
    setImmediate(() => {
      this.connected.add(id);
      this.maxConcurrent = Math.max(this.maxConcurrent, this.connected.size);
      this.emit('connect', id, null);
    });
  }

  cancelConnect(): void {}

  private heldDisconnects: Array<() => void> = [];
  private holdingDisconnects = false;

  disconnect(id: string): void {
    const answer = () => {
      if (!this.connected.delete(id)) return;
      this.unsubscribeAll(id);
      this.emit('disconnect', id, 0x16);
    };
    this.emit('disconnectAsked', id);
    if (this.holdingDisconnects) this.heldDisconnects.push(answer);
    else setImmediate(answer);
  }

  updateRssi(id: string): void {
    setImmediate(() => this.emit('rssiUpdate', id, this.peripherals.get(id)?.rssi ?? -60));
  }

  discoverServices(id: string, uuids: string[]): void {
    const p = this.peripherals.get(id);
    if (!p || !this.connected.has(id)) return;
    const all = Object.keys(p.services);
    setImmediate(() => this.emit('servicesDiscover', id, uuids?.length ? all.filter((u) => uuids.includes(u)) : all));
  }

  discoverIncludedServices(id: string, serviceUuid: string): void {
    setImmediate(() => this.emit('includedServicesDiscover', id, serviceUuid, []));
  }

  discoverCharacteristics(id: string, serviceUuid: string, uuids: string[]): void {
    const p = this.peripherals.get(id);
    if (!p || !this.connected.has(id)) return;
    const chars = Object.entries(p.services[serviceUuid] ?? {})
      .filter(([uuid]) => !uuids?.length || uuids.includes(uuid))
      .map(([uuid, c]) => ({ uuid, properties: c.properties }));
    setImmediate(() => this.emit('characteristicsDiscover', id, serviceUuid, chars));
  }

  /** GATT reads asked, by characteristic uuid. */
  readonly readsOf = new Map<string, number>();
  /** Reads and writes asked and not yet answered, by device id; the most at once for one device, and in all. */
  private readonly inFlight = new Map<string, number>();
  maxInFlightPerDevice = 0;
  maxInFlight = 0;

  private started(id: string): () => void {
    this.inFlight.set(id, (this.inFlight.get(id) ?? 0) + 1);
    this.maxInFlightPerDevice = Math.max(this.maxInFlightPerDevice, this.inFlight.get(id)!);
    this.maxInFlight = Math.max(this.maxInFlight, [...this.inFlight.values()].reduce((a, b) => a + b, 0));
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.inFlight.set(id, this.inFlight.get(id)! - 1);
    };
  }

  read(id: string, serviceUuid: string, uuid: string): void {
    this.readsOf.set(uuid, (this.readsOf.get(uuid) ?? 0) + 1);
    const throws = this.peripherals.get(id)?.services[serviceUuid]?.[uuid]?.readThrows;
    if (throws) throw new TypeError(throws);
    const end = this.started(id);
    const answer = () => {
      end();
      if (!this.connected.has(id)) return; // a read on a lost connection is never answered
      const c = this.peripherals.get(id)?.services[serviceUuid]?.[uuid];
      // A device refuses to read what is not readable; noble answers that ATT error with no bytes.
      if (c) this.emit('read', id, serviceUuid, uuid, c.properties.includes('read') ? Buffer.from(c.value) : Buffer.alloc(0), false);
    };
    if (this.holding) {
      this.held.push(answer);
      this.emit('readHeld', uuid);
    } else setImmediate(answer);
  }

  write(id: string, serviceUuid: string, uuid: string, data: Buffer, withoutResponse: boolean): void {
    const end = this.started(id);
    setImmediate(() => {
      end();
      if (!this.connected.has(id)) return;
      const p = this.peripherals.get(id)!;
      const c = p.services[serviceUuid]?.[uuid];
      if (!c) return;
      // A refused write request gets an ATT error, on which noble emits nothing (the write never ends);
      // a write command (without response) the characteristic does not take is dropped unanswered.
      if (!c.properties.includes(withoutResponse ? 'writeWithoutResponse' : 'write')) {
        if (withoutResponse) this.emit('write', id, serviceUuid, uuid);
        return;
      }
      c.value = Buffer.from(data);
      this.writes.push({ address: p.address, characteristic: uuid, data: Buffer.from(data), withoutResponse });
      this.emit('write', id, serviceUuid, uuid);
    });
  }

  notify(id: string, serviceUuid: string, uuid: string, on: boolean): void {
    setImmediate(() => {
      if (!this.connected.has(id)) return;
      // Without notify or indicate there is no configuration descriptor: noble's request finds none and emits nothing.
      const properties = this.peripherals.get(id)?.services[serviceUuid]?.[uuid]?.properties ?? [];
      if (!properties.includes('notify') && !properties.includes('indicate')) return;
      const key = `${id}/${serviceUuid}/${uuid}`;
      if (on) this.subscribed.add(key);
      else this.subscribed.delete(key);
      this.emit('notify', id, serviceUuid, uuid, on);
    });
  }

  discoverDescriptors(id: string, serviceUuid: string, uuid: string): void {
    setImmediate(() => this.emit('descriptorsDiscover', id, serviceUuid, uuid, []));
  }

  /** The HCI bindings' GAP table of advertisers, by address, that noble keeps (and the adapter must prune). */
  readonly _gap = { _discoveries: {} as Record<string, { count: number }> };

  // --- test controls ---

  /** Emits one advertisement of `address` (when scanning), after applying `change`. */
  advertise(address: string, change: Partial<FakePeripheral> = {}): void {
    const id = idOf(address);
    const p = this.peripherals.get(id);
    if (!p) return;
    Object.assign(p, change);
    if (!this.scanning || p.silent || this.state !== 'poweredOn') return;
    const heardAt = p.address.toLowerCase();
    this._gap._discoveries[heardAt] = { count: (this._gap._discoveries[heardAt]?.count ?? 0) + 1 };
    const advertisement = {
      localName: p.name,
      txPowerLevel: undefined,
      manufacturerData: p.manufacturerData,
      serviceData: p.serviceData ?? [],
      serviceUuids: p.serviceUuids ?? [],
      solicitationServiceUuids: [],
      serviceSolicitationUuids: [],
    };
    this.emit('discover', id, p.address.toLowerCase(), 'public', p.connectable !== false, advertisement, p.rssi ?? -60, true);
  }

  /** Sets a characteristic's value and notifies it when subscribed; false when nobody subscribed. */
  sendNotification(address: string, serviceUuid: string, uuid: string, value: Buffer): boolean {
    const id = idOf(address);
    const c = this.peripherals.get(id)?.services[serviceUuid]?.[uuid];
    if (c) c.value = value;
    if (!this.subscribed.has(`${id}/${serviceUuid}/${uuid}`) || !this.connected.has(id)) return false;
    this.emit('read', id, serviceUuid, uuid, value, true);
    return true;
  }

  isSubscribed(address: string, serviceUuid: string, uuid: string): boolean {
    return this.subscribed.has(`${idOf(address)}/${serviceUuid}/${uuid}`);
  }

  /**
   * The next `event` the bindings emit (to noble: 'notify', 'disconnect', ...;
   * or the fake's own 'readHeld', 'disconnectAsked') whose arguments match,
   * within `ms`.
   */
  next(event: string, match: (...args: any[]) => boolean, what: string, ms = 5_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const listener = (...args: unknown[]) => {
        if (!match(...args)) return;
        clearTimeout(timer);
        this.off(event, listener);
        resolve();
      };
      const timer = setTimeout(() => {
        this.off(event, listener);
        reject(new Error(`the fake bindings saw no ${what} within ${ms} ms`));
      }, ms);
      this.on(event, listener);
    });
  }

  /** Resolves once noble has subscribed to the characteristic (at once when it is). */
  async whenSubscribed(address: string, serviceUuid: string, uuid: string): Promise<void> {
    if (this.isSubscribed(address, serviceUuid, uuid)) return;
    const id = idOf(address);
    await this.next('notify', (i: string, s: string, u: string, on: boolean) => i === id && s === serviceUuid && u === uuid && on, `subscription to ${uuid} of ${address}`);
  }

  /** Resolves once `address` is disconnected (at once when it is). */
  async whenDisconnected(address: string): Promise<void> {
    if (!this.isConnected(address)) return;
    const id = idOf(address);
    await this.next('disconnect', (i: string) => i === id, `disconnect of ${address}`);
  }

  /** The device goes away (out of range, reset): the link drops. */
  dropConnection(address: string): void {
    const id = idOf(address);
    if (!this.connected.delete(id)) return;
    this.unsubscribeAll(id);
    this.emit('disconnect', id, 0x08);
  }

  powerOff(): void {
    this.state = 'poweredOff';
    this.scanning = false;
    for (const id of this.connected) this.unsubscribeAll(id);
    this.connected.clear(); // the HCI reports no disconnects when the radio goes
    this.emit('stateChange', 'poweredOff');
  }

  powerOn(): void {
    this.state = 'poweredOn';
    this.emit('stateChange', 'poweredOn');
  }

  holdReads(): () => void {
    this.holding = true;
    return () => {
      this.holding = false;
      for (const answer of this.held.splice(0)) answer();
    };
  }

  /** Disconnects asked from now on take until the returned release (the link stays up meanwhile, as a radio's does). */
  holdDisconnects(): () => void {
    this.holdingDisconnects = true;
    return () => {
      this.holdingDisconnects = false;
      for (const answer of this.heldDisconnects.splice(0)) answer();
    };
  }

  isConnected(address: string): boolean {
    return this.connected.has(idOf(address));
  }

  private unsubscribeAll(id: string): void {
    for (const key of [...this.subscribed]) if (key.startsWith(`${id}/`)) this.subscribed.delete(key);
  }
}
