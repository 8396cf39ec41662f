/**
 * One device's connection: connect on demand (within the connect timeout,
 * holding one of the adapter's slots), GATT operations one at a time
 * (bounded queue, each within the GATT timeout), and, for a device with
 * notifications, staying connected: subscribed after every (re)connect,
 * reconnected with backoff and jitter after a loss, at once when the adapter
 * powers on again. An operation in flight when the connection drops, the
 * device is removed or the driver stops settles at once (never as a Timeout
 * the device did not cause).
 */
import { backoffDelay, Clock, ErrorKind, GatewayError, systemClock, Timer, withTimeout } from '@gw/contracts';
import type { DriverContext } from '@gw/device-sdk/driver';
import type { BleAdapter } from './adapter';
import type { GattPoint } from './attributes';
import type { NobleCharacteristic, NoblePeripheral } from './noble-types';
import type { ConnectionSlots, SlotHolder } from './slots';

export type LinkState = 'disconnected' | 'connecting' | 'connected';

export interface LinkOptions {
  connectTimeoutMs: number;
  gattTimeoutMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  maxQueue: number;
  logger: DriverContext['logger'];
  clock?: Clock;
  /** A notification of a subscribed characteristic, with the points that read it. */
  onNotification(points: GattPoint[], data: Uint8Array): void;
  /** The connection state changed. */
  onState(state: LinkState): void;
}

/** What an operation gets: the connected peripheral and its characteristics. */
export interface Connected {
  peripheral: NoblePeripheral;
  characteristic(point: GattPoint): NobleCharacteristic;
  /** Every service with its characteristics, as discovered on connecting. */
  services: Array<{ uuid: string; characteristics: NobleCharacteristic[] }>;
}

export class DeviceLink implements SlotHolder {
  state: LinkState = 'disconnected';
  lastUsedMs = 0;
  private peripheral?: NoblePeripheral;
  private connected?: Connected;
  /** Rejects when the current connection ends (loss, removal, stop): operations race it. */
  private lost?: { promise: Promise<never>; reject(err: Error): void };
  private tail: Promise<unknown> = Promise.resolve();
  private queued = 0;
  private busy = false;
  private notifyPoints: GattPoint[] = [];
  /** Why notify points could not be subscribed, each logged once. */
  private readonly notifyProblems = new Set<string>();
  private subscribed: Array<{ characteristic: NobleCharacteristic; listener: (data: Buffer, isNotification: boolean) => void }> = [];
  private reconnectFailures = 0;
  private reconnectTimer?: Timer;
  /** Ends (and frees the slot) once the device we asked to disconnect has disconnected. */
  private disconnecting?: Promise<void>;
  private closed = false;
  private readonly clock: Clock;

  constructor(
    readonly name: string,
    readonly address: string,
    private readonly adapter: BleAdapter,
    private readonly slots: ConnectionSlots,
    private readonly options: LinkOptions,
  ) {
    this.clock = options.clock ?? systemClock;
  }

  /** The points to keep subscribed; a device with any stays connected. */
  setNotifyPoints(points: GattPoint[]): void {
    const before = this.notifyPoints.map(key).sort().join();
    this.notifyPoints = points;
    if (points.map(key).sort().join() === before) return;
    if (this.state === 'connected') {
      // Subscriptions follow the new list on the next connection; reconnecting now (no backoff: nothing failed) applies it at once.
      this.drop(new GatewayError(ErrorKind.ServiceUnavailable, `device "${this.name}": reconnecting to change its notifications`), true, 'now');
    }
    if (points.length > 0) this.scheduleReconnect(0);
  }

  get pinned(): boolean {
    return this.notifyPoints.length > 0;
  }

  evictable(): boolean {
    return !this.pinned && !this.busy && this.queued === 0;
  }

  evict(): void {
    this.drop(new GatewayError(ErrorKind.ServiceUnavailable, `device "${this.name}": its connection was given to another device`));
  }

  /** Runs `op` on the connected device, after the operations queued before it; connects first when needed. */
  run<T>(what: string, op: (connection: Connected) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new GatewayError(ErrorKind.EntityNotFound, `${what}: device "${this.name}" is not served`));
    if (this.queued >= this.options.maxQueue) {
      return Promise.reject(new GatewayError(ErrorKind.ServiceUnavailable, `${what}: ${this.queued} operations already wait for device "${this.name}" (GW_BLE_MAX_QUEUE)`));
    }
    this.queued++;
    const result = this.tail.then(async () => {
      this.queued--;
      if (this.closed) throw new GatewayError(ErrorKind.ServiceUnavailable, `${what}: device "${this.name}" was removed`);
      this.busy = true;
      try {
        const connection = await this.connect(what);
        return await this.bounded(op(connection), what);
      } finally {
        this.busy = false;
        this.lastUsedMs = this.clock.monotonicMs();
        this.slots.idle();
      }
    });
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** `work` within the GATT timeout, or the connection's end; a timeout drops the connection (a stuck GATT exchange blocks every later one). */
  private async bounded<T>(work: Promise<T>, what: string): Promise<T> {
    const lost = this.lost?.promise;
    try {
      return await withTimeout(lost ? Promise.race([work, lost]) : work, this.options.gattTimeoutMs, `${what} (device "${this.name}")`, { clock: this.clock });
    } catch (err) {
      if (GatewayError.is(err, ErrorKind.Timeout)) this.drop(err);
      throw err;
    }
  }

  /** The RSSI of the connection, or of the last advertisement when not connected. */
  async rssi(what: string): Promise<number> {
    if (this.state === 'connected') return this.run(what, (c) => c.peripheral.updateRssiAsync());
    const heard = this.adapter.heard(this.address);
    if (heard && typeof heard.peripheral.rssi === 'number') return heard.peripheral.rssi;
    await this.adapter.settled(this.options.connectTimeoutMs);
    this.adapter.requirePowered(what);
    throw new GatewayError(ErrorKind.Communication, `${what}: device "${this.name}" is not connected and has not been heard advertising`);
  }

  private async connect(what: string): Promise<Connected> {
    if (this.state === 'connected' && this.connected) return this.connected;
    if (this.disconnecting) await this.disconnecting; // the last connection's slot, freed first
    await this.adapter.settled(this.options.connectTimeoutMs);
    this.adapter.requirePowered(what);
    const deadline = this.clock.monotonicMs() + this.options.connectTimeoutMs;
    const left = () => Math.max(1, Math.round(deadline - this.clock.monotonicMs()));
    const lost = deferredLoss();
    this.lost = lost;
    try {
      await this.slots.acquire(this, this.options.connectTimeoutMs, what);
      this.setState('connecting');
      const race = <T>(work: Promise<T>) => Promise.race([work, lost.promise]);
      const peripheral = await race(this.adapter.find(this.address, left(), what));
      this.peripheral = peripheral;
      if (peripheral.state !== 'connected') {
        try {
          await withTimeout(race(peripheral.connectAsync()), left(), `${what}: connecting to ${this.address.toUpperCase()}`, { clock: this.clock });
        } catch (err) {
          if (peripheral.state === 'connecting') peripheral.cancelConnect();
          throw GatewayError.is(err) ? err : new GatewayError(ErrorKind.Communication, `${what}: connecting to ${this.address.toUpperCase()} failed: ${String(err)}`, { cause: err });
        }
      }
      peripheral.once('disconnect', this.onDisconnect);
      const found = await withTimeout(race(peripheral.discoverAllServicesAndCharacteristicsAsync()), this.options.gattTimeoutMs, `${what}: discovering the services of device "${this.name}"`, {
        clock: this.clock,
      });
      const services = found.services.map((s) => ({ uuid: s.uuid, characteristics: s.characteristics ?? [] }));
      const connected: Connected = { peripheral, services, characteristic: (point) => findCharacteristic(services, point, this.name) };
      const byCharacteristic = new Map<NobleCharacteristic, GattPoint[]>();
      for (const point of this.notifyPoints) {
        const characteristic = this.notifying(connected, point);
        if (characteristic) byCharacteristic.set(characteristic, [...(byCharacteristic.get(characteristic) ?? []), point]);
      }
      for (const [characteristic, points] of byCharacteristic) await this.subscribe(characteristic, points, race);
      // The connection may have ended while the last answer was on its way (race() lets an answer already
      // given win): settle with that loss instead of calling a dropped connection connected.
      if (this.lost !== lost) await lost.promise;
      this.connected = connected;
      this.setState('connected');
      this.reconnectFailures = 0;
      this.options.logger.info({ device: this.name, address: this.address }, 'BLE device connected');
      return connected;
    } catch (err) {
      // Dropped already (lost, removed, powered off): that drop settled everything and scheduled the reconnect.
      if (this.lost === lost) this.drop(err as Error);
      throw err;
    }
  }

  /**
   * The characteristic to subscribe for `point`, or undefined (a warning,
   * once for each problem) when the device has no such characteristic or it
   * neither notifies nor indicates: reconnecting would not change that, so
   * the other points keep their subscriptions and the connection stays.
   */
  private notifying(connected: Connected, point: GattPoint): NobleCharacteristic | undefined {
    let problem: string;
    try {
      const characteristic = connected.characteristic(point);
      const properties = characteristic.properties ?? [];
      if (properties.includes('notify') || properties.includes('indicate')) return characteristic;
      problem = `device "${this.name}" resource "${point.resourceName}": attribute notify: characteristic ${point.characteristicUuid} neither notifies nor indicates (it offers ${properties.join(', ') || 'nothing'})`;
    } catch (err) {
      problem = (err as Error).message;
    }
    if (!this.notifyProblems.has(problem)) {
      if (this.notifyProblems.size >= 100) this.notifyProblems.clear();
      this.notifyProblems.add(problem);
      this.options.logger.warn({ device: this.name, resource: point.resourceName, err: problem }, 'BLE resource not subscribed');
    }
    return undefined;
  }

  private async subscribe(characteristic: NobleCharacteristic, points: GattPoint[], race: <T>(work: Promise<T>) => Promise<T>): Promise<void> {
    const listener = (data: Buffer, isNotification: boolean) => {
      if (isNotification) this.options.onNotification(points, data);
    };
    characteristic.on('data', listener);
    this.subscribed.push({ characteristic, listener });
    const what = `subscribing to ${points.map((p) => p.resourceName).join(', ')} of device "${this.name}"`;
    await withTimeout(race(characteristic.subscribeAsync()), this.options.gattTimeoutMs, what, { clock: this.clock });
  }

  private readonly onDisconnect = (): void => {
    this.options.logger.warn({ device: this.name, address: this.address }, 'BLE device disconnected');
    this.drop(new GatewayError(ErrorKind.Communication, `device "${this.name}": the connection was lost`), false);
  };

  /** The adapter lost power: the connection is gone without a word from the device. */
  powerLost(): void {
    // noble hears no disconnect when the radio goes: its peripheral would still say connected.
    if (this.peripheral) this.peripheral.state = 'disconnected';
    this.drop(new GatewayError(ErrorKind.ServiceUnavailable, `device "${this.name}": BLE adapter ${this.adapter.name} powered off`), false);
  }

  /** The adapter is back: devices with notifications reconnect now. */
  powerRestored(): void {
    this.reconnectFailures = 0;
    if (this.pinned) this.scheduleReconnect(0);
  }

  /**
   * Ends the current connection (or attempt): pending operations settle with
   * `reason`, the slot is freed, and a device with notifications is
   * reconnected after a backoff. `disconnect`: ask the device to disconnect
   * too (not when it already went away); the slot is then freed when it has
   * (the adapter counts the connection until then), at the latest after the
   * GATT timeout. `reconnect: 'now'`: nothing failed (the notify list
   * changed), so no backoff.
   */
  private drop(reason: Error, disconnect = true, reconnect: 'backoff' | 'now' = 'backoff'): void {
    const peripheral = this.peripheral;
    this.lost?.reject(reason);
    this.lost = undefined;
    this.connected = undefined;
    this.peripheral = undefined;
    for (const { characteristic, listener } of this.subscribed) characteristic.off('data', listener);
    this.subscribed = [];
    let disconnected: Promise<void> | undefined;
    if (peripheral) {
      peripheral.off('disconnect', this.onDisconnect);
      if (disconnect && (peripheral.state === 'connected' || peripheral.state === 'connecting') && this.adapter.powered) {
        if (peripheral.state === 'connecting') peripheral.cancelConnect();
        else disconnected = withTimeout(peripheral.disconnectAsync(), this.options.gattTimeoutMs, `disconnecting device "${this.name}"`, { clock: this.clock });
      }
    }
    if (disconnected) {
      this.disconnecting = disconnected
        .catch(() => undefined)
        .then(() => {
          this.disconnecting = undefined;
          this.slots.release(this);
        });
    } else if (!this.disconnecting) {
      this.slots.release(this);
    }
    this.setState('disconnected');
    if (this.closed || !this.pinned) return;
    this.scheduleReconnect(reconnect === 'now' ? 0 : backoffDelay(++this.reconnectFailures, this.options.reconnectMinMs, this.options.reconnectMaxMs));
  }

  private scheduleReconnect(delayMs: number): void {
    if (this.closed || this.reconnectTimer || this.state !== 'disconnected') return;
    if (!this.adapter.powered) return; // powerRestored() resumes
    this.reconnectTimer = this.clock.setTimer(() => {
      this.reconnectTimer = undefined;
      if (this.closed || !this.pinned || this.state !== 'disconnected') return;
      this.run('reconnecting', async () => undefined).catch((err: unknown) => {
        this.options.logger.debug({ device: this.name, err: (err as Error).message, failures: this.reconnectFailures }, 'BLE reconnect failed');
      });
    }, delayMs);
  }

  private setState(state: LinkState): void {
    if (this.state === state) return;
    this.state = state;
    this.options.onState(state);
  }

  /** Device removed or driver stopping: everything pending settles, the device is disconnected. */
  close(reason: string): void {
    if (this.closed) return;
    const err = new GatewayError(ErrorKind.ServiceUnavailable, `device "${this.name}": ${reason}`);
    this.notifyPoints = [];
    this.reconnectTimer?.cancel();
    this.reconnectTimer = undefined;
    this.slots.cancel(this, err);
    this.drop(err);
    this.closed = true;
  }
}

const key = (p: GattPoint) => `${p.serviceUuid ?? '*'}/${p.characteristicUuid}`;

function deferredLoss(): { promise: Promise<never>; reject(err: Error): void } {
  let reject!: (err: Error) => void;
  const promise = new Promise<never>((_, r) => (reject = r));
  promise.catch(() => undefined); // nobody may be racing it when it rejects
  return { promise, reject };
}

function findCharacteristic(services: Connected['services'], point: GattPoint, deviceName: string): NobleCharacteristic {
  const where = point.serviceUuid ? services.filter((s) => s.uuid === point.serviceUuid) : services;
  for (const service of where) {
    const found = service.characteristics.find((c) => c.uuid === point.characteristicUuid);
    if (found) return found;
  }
  const has = services.map((s) => `${s.uuid}: ${s.characteristics.map((c) => c.uuid).join(' ') || '-'}`).join('; ');
  const attribute = point.serviceUuid && where.length === 0 ? `serviceUuid: the device has no service ${point.serviceUuid}` : `characteristicUuid: the device has no characteristic ${point.characteristicUuid}${point.serviceUuid ? ` in service ${point.serviceUuid}` : ''}`;
  throw new GatewayError(ErrorKind.ContractInvalid, `device "${deviceName}" resource "${point.resourceName}": attribute ${attribute} (it has ${has || 'no services'})`);
}
