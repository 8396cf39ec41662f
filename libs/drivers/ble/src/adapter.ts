/**
 * The Bluetooth adapter as a state, never a crash: noble is loaded here (the
 * first time the driver starts); when that fails (EAFNOSUPPORT: no Bluetooth
 * in the kernel; EPERM; no hciN) the adapter is `unavailable` with the
 * reason and is tried again after a backoff. Once loaded it follows noble's
 * power state (poweredOff/On without a restart), keeps the devices it has
 * heard advertise (bounded), and runs one shared scan while anyone wants it.
 */
import { backoffDelay, Clock, ErrorKind, GatewayError, systemClock, Timer } from '@gw/contracts';
import type { DriverContext } from '@gw/device-sdk/driver';
import type { AdapterState, Noble, NoblePeripheral } from './noble-types';

/** Devices heard advertising that the adapter remembers (the oldest heard is forgotten first). */
export const MAX_KNOWN_DEVICES = 2_000;

export interface AdapterOptions {
  /** N of hciN, for messages and status. */
  hciDevice?: number;
  /** Makes noble (the HCI socket, or tests' fake bindings); may throw. */
  load(): Promise<Noble>;
  retryMinMs: number;
  retryMaxMs: number;
  logger: DriverContext['logger'];
  clock?: Clock;
  /** Devices remembered (default MAX_KNOWN_DEVICES). */
  maxKnown?: number;
}

export interface AdapterStatus {
  adapter: string;
  /** `unavailable: <reason>` when noble could not be opened, else noble's state (poweredOn, poweredOff, unauthorized, ...). */
  state: string;
  powered: boolean;
  address?: string;
  scanning: boolean;
  /** Devices heard advertising (bounded by MAX_KNOWN_DEVICES). */
  knownDevices: number;
  /** ms until the next try of an unavailable adapter. */
  retryInMs?: number;
  failures?: number;
}

export interface Heard {
  peripheral: NoblePeripheral;
  /** Monotonic ms of the last advertisement. */
  lastSeenMs: number;
}

type AdvertisementListener = (address: string, heard: Heard) => void;
type StateListener = (powered: boolean) => void;

export class BleAdapter {
  private noble?: Noble;
  private unavailable?: string;
  private failures = 0;
  private retryTimer?: Timer;
  private retryAtMs?: number;
  private closed = false;
  private loading?: Promise<void>;
  private nobleState: AdapterState = 'unknown';
  private readonly known = new Map<string, Heard>();
  private scanWants = 0;
  private scanning = false;
  private readonly advertisementListeners = new Set<AdvertisementListener>();
  private readonly stateListeners = new Set<StateListener>();
  private readonly settleWaiters = new Set<() => void>();
  private readonly clock: Clock;
  private readonly maxKnown: number;
  readonly name: string;

  constructor(private readonly options: AdapterOptions) {
    this.clock = options.clock ?? systemClock;
    this.maxKnown = options.maxKnown ?? MAX_KNOWN_DEVICES;
    this.name = `hci${options.hciDevice ?? 0}`;
  }

  /** Loads noble (once) and follows its state; never throws: a failure is the `unavailable` state, tried again later. */
  open(): Promise<void> {
    this.closed = false;
    this.loading ??= this.tryLoad();
    return this.loading;
  }

  private async tryLoad(): Promise<void> {
    try {
      const noble = await this.options.load();
      if (this.closed) return;
      // Read before listening: the getter starts the bindings here (the HCI's bindRaw(hciN)), so a
      // wrong adapter (ENODEV) or a refused bind throws into the catch. A 'stateChange' listener
      // first would start them on the next tick instead, noble turning the error into a 'warning'
      // and leaving the adapter `unknown` for good.
      const state = noble.state;
      noble.on('stateChange', this.onStateChange);
      noble.on('discover', this.onDiscover);
      noble.on('warning', this.onWarning);
      this.noble = noble;
      this.unavailable = undefined;
      this.failures = 0;
      this.onStateChange(state);
    } catch (err) {
      this.failures++;
      this.unavailable = describeLoadFailure(err);
      const wait = backoffDelay(this.failures, this.options.retryMinMs, this.options.retryMaxMs);
      this.options.logger.warn({ adapter: this.name, reason: this.unavailable, retryInMs: wait }, 'BLE adapter unavailable');
      this.retryAtMs = this.clock.monotonicMs() + wait;
      this.retryTimer = this.clock.setTimer(() => {
        this.retryTimer = undefined;
        this.retryAtMs = undefined;
        this.loading = this.closed ? undefined : this.tryLoad();
      }, wait);
      this.retryTimer.unref();
    }
  }

  close(): void {
    this.closed = true;
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    this.loading = undefined;
    if (this.scanning) this.noble?.stopScanning();
    this.scanning = false;
    this.scanWants = 0;
    this.noble?.off('stateChange', this.onStateChange);
    this.noble?.off('discover', this.onDiscover);
    this.noble?.off('warning', this.onWarning);
    this.noble = undefined;
    this.known.clear();
    for (const done of [...this.settleWaiters]) done();
  }

  get powered(): boolean {
    return this.noble !== undefined && this.nobleState === 'poweredOn';
  }

  status(): AdapterStatus {
    const status: AdapterStatus = {
      adapter: this.name,
      state: this.unavailable !== undefined ? `unavailable: ${this.unavailable}` : this.noble ? this.nobleState : 'unavailable: not opened',
      powered: this.powered,
      scanning: this.scanning,
      knownDevices: this.known.size,
    };
    const address = this.noble?.address;
    if (address && address !== 'unknown') status.address = address;
    if (this.retryAtMs !== undefined) status.retryInMs = Math.max(0, Math.round(this.retryAtMs - this.clock.monotonicMs()));
    if (this.failures > 0) status.failures = this.failures;
    return status;
  }

  /**
   * Resolves once noble has told the adapter's state (it says `unknown` while
   * it opens the adapter, `resetting` while it resets it), or after `timeoutMs`.
   */
  async settled(timeoutMs: number): Promise<void> {
    if (!this.noble || (this.nobleState !== 'unknown' && this.nobleState !== 'resetting')) return;
    await new Promise<void>((resolve) => {
      const timer = this.clock.setTimer(() => done(), timeoutMs);
      const done = () => {
        timer.cancel();
        this.settleWaiters.delete(done);
        resolve();
      };
      this.settleWaiters.add(done);
    });
  }

  /** Throws ServiceUnavailable naming the adapter and why, unless it is powered on. */
  requirePowered(what: string): void {
    if (this.powered) return;
    const why = this.unavailable !== undefined ? `is unavailable: ${this.unavailable}` : this.noble ? `is ${this.nobleState}` : 'is not open';
    throw new GatewayError(ErrorKind.ServiceUnavailable, `${what}: BLE adapter ${this.name} ${why}`);
  }

  /** What the adapter last heard from `address` (noble's peripheral, merged advertisement, RSSI). */
  heard(address: string): Heard | undefined {
    return this.known.get(address);
  }

  onAdvertisement(listener: AdvertisementListener): () => void {
    this.advertisementListeners.add(listener);
    return () => this.advertisementListeners.delete(listener);
  }

  onPowerChange(listener: StateListener): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Keeps the shared scan running (duplicates reported: advertised values change) until the returned release is called. */
  wantScan(): () => void {
    this.scanWants++;
    this.applyScan();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.scanWants = Math.max(0, this.scanWants - 1);
      this.applyScan();
    };
  }

  /**
   * The peripheral at `address`, waiting (scanning) up to `timeoutMs` to hear
   * it advertise when it has not been heard yet: noble connects only to
   * devices it has seen.
   */
  async find(address: string, timeoutMs: number, what: string, signal?: AbortSignal): Promise<NoblePeripheral> {
    await this.settled(timeoutMs);
    this.requirePowered(what);
    const known = this.known.get(address);
    if (known) return known.peripheral;
    const release = this.wantScan();
    try {
      return await new Promise<NoblePeripheral>((resolve, reject) => {
        const done = (outcome: () => void) => {
          timer.cancel();
          off();
          offPower();
          signal?.removeEventListener('abort', aborted);
          outcome();
        };
        const off = this.onAdvertisement((heardAddress, heard) => {
          if (heardAddress === address) done(() => resolve(heard.peripheral));
        });
        const offPower = this.onPowerChange((powered) => {
          if (!powered) done(() => reject(new GatewayError(ErrorKind.ServiceUnavailable, `${what}: BLE adapter ${this.name} is ${this.nobleState}`)));
        });
        const aborted = () => done(() => reject(new GatewayError(ErrorKind.ServiceUnavailable, `${what}: cancelled`)));
        signal?.addEventListener('abort', aborted, { once: true });
        const timer = this.clock.setTimer(
          () => done(() => reject(new GatewayError(ErrorKind.Timeout, `${what}: ${address.toUpperCase()} was not heard advertising within ${timeoutMs} ms`))),
          timeoutMs,
        );
      });
    } finally {
      release();
    }
  }

  private applyScan(): void {
    const noble = this.noble;
    if (!noble) return;
    const want = this.scanWants > 0 && this.powered;
    if (want && !this.scanning) {
      this.scanning = true;
      noble.startScanningAsync([], true).catch((err: unknown) => {
        this.scanning = false;
        this.options.logger.warn({ adapter: this.name, err: (err as Error).message }, 'BLE scan did not start');
      });
    } else if (!want && this.scanning) {
      this.scanning = false;
      if (this.powered) noble.stopScanning();
    }
  }

  private readonly onStateChange = (state: AdapterState): void => {
    const was = this.powered;
    this.nobleState = state;
    if (!this.powered) this.scanning = false; // the radio stopped scanning with it
    this.options.logger.info({ adapter: this.name, state }, 'BLE adapter state');
    this.applyScan();
    if (state !== 'unknown' && state !== 'resetting') for (const done of [...this.settleWaiters]) done();
    if (was !== this.powered) for (const listener of [...this.stateListeners]) listener(this.powered);
  };

  private readonly onDiscover = (peripheral: NoblePeripheral): void => {
    const address = peripheral.address?.toLowerCase();
    if (!address || address === 'unknown') return;
    const heard = { peripheral, lastSeenMs: this.clock.monotonicMs() };
    this.known.delete(address);
    this.known.set(address, heard);
    if (this.known.size > this.maxKnown) {
      const [oldest, { peripheral: forgotten }] = this.known.entries().next().value!;
      this.known.delete(oldest);
      if (forgotten.state === 'disconnected' && this.noble) forgetInNoble(this.noble, forgotten);
    }
    for (const listener of [...this.advertisementListeners]) listener(address, heard);
  };

  private readonly onWarning = (message: string): void => {
    this.options.logger.debug({ adapter: this.name, message }, 'noble warning');
  };
}

/** Why noble could not be opened, in words an operator can act on. */
export function describeLoadFailure(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  // Not `instanceof Error`: errors of native modules may come from another realm (Jest's sandbox).
  const message = typeof e?.message === 'string' ? e.message : String(err);
  switch (e?.code) {
    case 'EAFNOSUPPORT':
      return `${message} (the kernel has no Bluetooth socket support; in a container use network_mode: host)`;
    case 'EPERM':
    case 'EACCES':
      return `${message} (needs CAP_NET_RAW and CAP_NET_ADMIN, or root)`;
    case 'ENODEV':
      return `${message} (no such adapter: check GW_BLE_HCI_DEVICE and hciconfig)`;
    default:
      return message;
  }
}

/**
 * noble (and its HCI bindings) keep every device ever heard, by id, with no
 * way to forget one: among phones rotating private addresses that grows
 * without bound while the driver scans. The adapter forgets the devices it
 * stopped remembering in noble's tables too (only disconnected ones; a device
 * heard again is simply added again).
 */
export function forgetInNoble(noble: Noble, peripheral: Pick<NoblePeripheral, 'id' | 'address'>): void {
  type Table = Record<string, unknown> | undefined;
  const internals = noble as unknown as Record<string, Table>;
  const byId = ['_peripherals', '_services', '_characteristics', '_descriptors', '_discoveredPeripheralUUids'].map((k) => internals[k]);
  const bindings = internals._bindings as Record<string, Table> | undefined;
  if (bindings) byId.push(bindings._addresses, bindings._addresseTypes, bindings._connectable, bindings.scannable);
  for (const table of byId) if (table && typeof table === 'object') delete table[peripheral.id];
  // The HCI bindings' GAP keeps each advertiser by address (merging its advertisement and scan response).
  const discoveries = (bindings?._gap as Record<string, Table> | undefined)?._discoveries;
  if (discoveries && typeof discoveries === 'object') delete discoveries[peripheral.address];
}
