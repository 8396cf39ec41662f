/**
 * The coordinator's lifecycle on zigbee-herdsman's Controller: open it with
 * the GW_ZIGBEE_* settings (database, network backup and coordinator backup
 * under dataDir), report its state, and when it is lost (adapter
 * disconnected, start failed) reopen it after a backoff, never a process
 * restart. herdsman keeps global state (its device cache), so one
 * Coordinator runs per process at a time.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { backoffDelay, delay } from '@gw/contracts';
import { Controller } from 'zigbee-herdsman';
import type { ZigbeeSettings } from '../descriptor';
import { networkKeyOf } from '../network-key';

export type Logger = { debug(o: object, m?: string): void; info(o: object, m?: string): void; warn(o: object, m?: string): void; error(o: object, m?: string): void };

export type CoordinatorState =
  | { state: 'not configured' }
  | { state: 'connecting'; attempt: number; since: string }
  | {
      state: 'up';
      since: string;
      adapter: string;
      firmware: { type: string; meta: Record<string, unknown> };
      ieeeAddress: string;
      channel: number;
      panId: number;
      extendedPanId: string;
      startResult: string;
      permitJoin: { open: boolean; until?: string };
    }
  | { state: 'down'; reason: string; since: string; nextAttemptInMs: number; failures: number };

export interface CoordinatorEvents {
  /** A started controller: attach listeners (called once per connection). */
  connected(controller: Controller): void;
  /** The connection is gone (listeners die with the controller). */
  disconnected(): void;
}

export const DATABASE_FILE = 'database.db';
export const COORDINATOR_BACKUP_FILE = 'coordinator_backup.json';

export class Coordinator {
  private current: CoordinatorState = { state: 'connecting', attempt: 1, since: new Date().toISOString() };
  private controllerNow?: Controller;
  private readonly abort = new AbortController();
  private loop?: Promise<void>;
  private wakeDisconnected?: () => void;
  /** Connections made since start (1 after the first). */
  generation = 0;

  constructor(
    private readonly settings: ZigbeeSettings & { serialPort: string },
    private readonly logger: Logger,
    private readonly events: CoordinatorEvents,
  ) {}

  get state(): CoordinatorState {
    if (this.current.state === 'up' && this.controllerNow) {
      const end = this.controllerNow.getPermitJoinEnd();
      return { ...this.current, permitJoin: { open: this.controllerNow.getPermitJoin(), ...(end ? { until: new Date(end).toISOString() } : {}) } };
    }
    return this.current;
  }

  /** The started controller, or undefined while connecting or down. */
  get controller(): Controller | undefined {
    return this.current.state === 'up' ? this.controllerNow : undefined;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.wakeDisconnected?.();
    await this.loop;
  }

  private options() {
    const s = this.settings;
    mkdirSync(s.dataDir, { recursive: true });
    const { key, source } = networkKeyOf(s.networkKey, s.dataDir);
    if (source === 'generated') this.logger.info({ file: join(s.dataDir, 'network-key') }, 'zigbee network key generated (kept in the data folder, mode 0600)');
    return {
      network: { panID: s.panId, extendedPanID: s.extendedPanId, channelList: [s.channel], networkKey: key },
      serialPort: { path: s.serialPort, adapter: s.adapter === 'auto' ? undefined : s.adapter, baudRate: s.baudRate, rtscts: s.rtscts },
      databasePath: join(s.dataDir, DATABASE_FILE),
      databaseBackupPath: join(s.dataDir, `${DATABASE_FILE}.backup`),
      backupPath: join(s.dataDir, COORDINATOR_BACKUP_FILE),
      adapter: { disableLED: false },
      acceptJoiningDeviceHandler: async () => true,
    };
  }

  private set(state: CoordinatorState): void {
    this.current = state;
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    let failures = 0;
    while (!signal.aborted) {
      this.set({ state: 'connecting', attempt: failures + 1, since: new Date().toISOString() });
      let controller: Controller | undefined;
      let reason: string;
      try {
        controller = new Controller(this.options());
        this.controllerNow = controller;
        const startResult = await controller.start(signal);
        const [version, network] = await Promise.all([controller.getCoordinatorVersion(), controller.getNetworkParameters()]);
        const ieeeAddress = controller.getDevicesByType('Coordinator')[0]?.ieeeAddr ?? 'unknown';
        this.generation++;
        failures = 0;
        this.set({
          state: 'up',
          since: new Date().toISOString(),
          adapter: this.settings.adapter,
          firmware: { type: version.type, meta: version.meta },
          ieeeAddress,
          channel: network.channel,
          panId: network.panID,
          extendedPanId: network.extendedPanID,
          startResult,
          permitJoin: { open: false },
        });
        this.logger.info({ ieeeAddress, channel: network.channel, panId: network.panID, firmware: version.type, startResult }, 'zigbee coordinator up');
        const lost = new Promise<void>((resolve) => {
          this.wakeDisconnected = resolve;
          controller!.once('adapterDisconnected', resolve);
        });
        this.events.connected(controller);
        await lost;
        if (signal.aborted) break;
        reason = 'coordinator disconnected';
      } catch (err) {
        if (signal.aborted) break;
        reason = (err as Error).message || String(err);
      }
      this.events.disconnected();
      await this.close(controller);
      failures++;
      const wait = backoffDelay(failures, this.settings.reconnectMin, this.settings.reconnectMax);
      this.set({ state: 'down', reason, since: new Date().toISOString(), nextAttemptInMs: wait, failures });
      this.logger.warn({ reason, failures, retryInMs: wait }, 'zigbee coordinator down; reconnecting after a backoff');
      await delay(wait, undefined, signal);
    }
    this.events.disconnected();
    await this.close(this.controllerNow);
    this.set({ state: 'down', reason: 'stopped', since: new Date().toISOString(), nextAttemptInMs: 0, failures: 0 });
  }

  /** Stops a controller (saving its database); a half-started one may throw, which says nothing new. */
  private async close(controller: Controller | undefined): Promise<void> {
    if (!controller) return;
    if (this.controllerNow === controller) this.controllerNow = undefined;
    this.wakeDisconnected = undefined;
    try {
      await controller.stop();
    } catch (err) {
      this.logger.debug({ err: (err as Error).message }, 'zigbee controller stop');
    }
  }
}
