import { backoffDelay, Clock, delay, isUnreachable, SystemEvent, systemClock, Timer, Topics } from '@gw/contracts';
import type { DeviceDirectory } from '@gw/clients';
import { ManagedMessageBus, MessageBus, MessageEnvelope, Subscription } from '@gw/messaging';
import type { Logger } from '@gw/service-kit';

export interface DeviceSyncOptions {
  /** A full reload this often catches system events missed any other way; 0 = never. */
  refreshIntervalMs: number;
  /** Backoff between attempts to reach core-metadata: first wait, longest wait. */
  retryInitialMs?: number;
  retryMaxMs?: number;
  clock?: Clock;
}


/**
 * Keeps core-data's device directory in step with core-metadata: subscribes
 * to metadata's device system events (before loading, so no change made
 * during the load is missed), loads every device, reloads after the bus
 * reconnected (system events published while it was away are lost to a
 * non-durable subscription: the bus's onReconnect says when) and every
 * refreshInterval. When metadata cannot be reached (at start, or when
 * core-data had to ask it about a device and got no answer) it reloads with
 * the project's backoff until metadata answers, then tells `onRecovered`.
 */
export class DeviceSync {
  private subscription?: Subscription;
  private recovering?: Promise<void>;
  private loading?: Promise<void>;
  private refreshTimer?: Timer;
  private stopWatchingReconnects?: () => void;
  private closed = false;
  /** Ends a back-off wait at once when closed. */
  private readonly closing = new AbortController();
  private markLoaded!: () => void;
  /** Resolves at the first successful load (never, if close() comes first). */
  readonly loaded: Promise<void> = new Promise((resolve) => (this.markLoaded = resolve));
  private readonly clock: Clock;

  constructor(
    private readonly directory: DeviceDirectory,
    private readonly bus: MessageBus,
    private readonly topics: Topics,
    private readonly logger: Logger,
    private readonly options: DeviceSyncOptions,
    private readonly onRecovered: () => void = () => undefined,
  ) {
    this.clock = options.clock ?? systemClock;
  }

  /** Subscribes and tries the first load once; when that fails, goes on trying in the background. */
  async start(): Promise<void> {
    this.subscription = await this.bus.subscribe(this.topics.join('system-events', 'core-metadata', 'device', '#'), this.received);
    // A bus without the hook (a bare MessageBus) never reconnects.
    this.stopWatchingReconnects = (this.bus as MessageBus & Partial<Pick<ManagedMessageBus, 'onReconnect'>>).onReconnect?.(this.reconnected);
    try {
      await this.loadOnce();
      this.scheduleRefresh();
    } catch (err) {
      this.failed(err, 1);
      this.recover(1);
    }
  }

  /** core-metadata did not answer a question about a device: reload until it does (one loop at a time). */
  unreachable(): void {
    if (!this.closed && !this.recovering) this.recover(0);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.refreshTimer?.cancel();
    this.stopWatchingReconnects?.();
    this.closing.abort();
    await this.subscription?.unsubscribe().catch(() => undefined);
    await this.recovering;
  }

  private readonly received = (envelope: MessageEnvelope): void => {
    try {
      this.directory.apply(envelope.payload as SystemEvent);
    } catch (err) {
      this.logger.warn({ topic: envelope.receivedTopic, err: (err as Error).message }, 'core-data: ignored a device system event without a valid device');
    }
  };

  /** False while core-metadata is known not to answer (between a failure and the next successful load). */
  get reachable(): boolean {
    return this.recovering === undefined;
  }

  /** One load at a time: a refresh and a recovery that coincide share it. */
  private loadOnce(level: 'info' | 'debug' = 'info'): Promise<void> {
    this.loading ??= this.directory
      .load()
      .then((devices) => {
        this.logger[level]({ devices }, 'core-data: loaded the devices core-metadata knows');
        this.markLoaded();
      })
      .finally(() => (this.loading = undefined));
    return this.loading;
  }

  private recover(failuresSoFar: number): void {
    this.refreshTimer?.cancel();
    this.recovering = (async () => {
      for (let failures = failuresSoFar; !this.closed; ) {
        if (failures > 0) await delay(backoffDelay(failures, this.options.retryInitialMs ?? 1_000, this.options.retryMaxMs ?? 30_000), this.clock, this.closing.signal);
        if (this.closed) return;
        try {
          await this.loadOnce();
        } catch (err) {
          this.failed(err, ++failures);
          continue;
        }
        this.recovering = undefined;
        this.scheduleRefresh();
        this.onRecovered();
        return;
      }
    })();
  }

  private failed(err: unknown, attempt: number): void {
    const unreachable = isUnreachable(err);
    this.logger[unreachable ? 'warn' : 'error'](
      { attempt, err: (err as Error).message },
      unreachable
        ? 'core-data: core-metadata is not reachable; events it must vouch for wait, trying again'
        : 'core-data: core-metadata refused the device load; trying again',
    );
  }

  /** Reloads once the bus has reconnected, unless a recovery is loading anyway. */
  private readonly reconnected = (): void => {
    if (this.recovering || this.closed) return;
    this.logger.info({}, 'core-data: the bus reconnected; reloading the devices (system events may have been missed)');
    this.loadOnce().catch((err: unknown) => {
      this.failed(err, 1);
      if (!this.recovering) this.recover(1);
    });
  };

  private scheduleRefresh(): void {
    if (this.closed || this.options.refreshIntervalMs <= 0) return;
    this.refreshTimer?.cancel();
    this.refreshTimer = this.clock.setTimer(() => {
      this.loadOnce('debug').then(
        () => this.scheduleRefresh(),
        (err: unknown) => {
          this.failed(err, 1);
          this.recover(1);
        },
      );
    }, this.options.refreshIntervalMs);
    this.refreshTimer.unref();
  }
}
