/**
 * A device's operatingState as the device service observes it: DOWN after
 * `allowedFails` consecutive driver failures (or at once when a reading breaks
 * its resource's `assertion`, as EdgeX does), UP again the first time the
 * device answers. Every change is logged and reported to metadata with
 * patchDevice; reports for one device go out one at a time, in order, and a
 * report that failed (metadata away) is retried on later observations.
 *
 * A DOWN device still gets its autoEvents and commands: they are the probes
 * that bring it back UP (EdgeX instead refuses commands with 423 until its
 * DeviceDownTimeout). Only adminState LOCKED stops a device.
 */
import { Clock, Device, ErrorKind, GatewayError, OperatingState } from '@gw/contracts';
import type { MetadataClient } from '@gw/clients';
import type { SdkLogger } from './log';

export type DeviceStatePort = Pick<MetadataClient, 'patchDevice'>;

export const DEFAULT_ALLOWED_FAILS = 3;
const REPORT_RETRY_MS = 5_000;

/** Errors that say the configuration is wrong, not that the device is unreachable. */
const NOT_A_DEVICE_FAILURE = new Set<string>([ErrorKind.ContractInvalid, ErrorKind.NotAllowed, ErrorKind.EntityNotFound, ErrorKind.Config]);

export function isDeviceFailure(err: unknown): boolean {
  return !(err instanceof GatewayError && NOT_A_DEVICE_FAILURE.has(err.kind));
}

interface Entry {
  state: OperatingState;
  /** What metadata holds, as far as we know (undefined after a failed report). */
  reported?: OperatingState;
  failures: number;
  reporting: boolean;
  lastReportAt: number;
}

export class OperatingStateTracker {
  private readonly entries = new Map<string, Entry>();
  /** Called after every change (the scheduler and tests listen). */
  onChange: (deviceName: string, state: OperatingState) => void = () => undefined;

  constructor(
    private readonly metadata: DeviceStatePort,
    private readonly logger: SdkLogger,
    private readonly clock: Clock,
    private readonly allowedFails = DEFAULT_ALLOWED_FAILS,
  ) {}

  state(deviceName: string): OperatingState | undefined {
    return this.entries.get(deviceName)?.state;
  }

  /**
   * Metadata's copy of the device arrived (load or system event). Adopted
   * unless our own report is still on its way: the echo of an older report
   * must not undo a newer observation.
   */
  observed(device: Device): void {
    const entry = this.entries.get(device.name);
    if (!entry) {
      this.entries.set(device.name, {
        state: device.operatingState,
        reported: device.operatingState,
        failures: 0,
        reporting: false,
        lastReportAt: -Infinity,
      });
      return;
    }
    if (entry.reporting || entry.reported !== entry.state) return;
    entry.state = entry.reported = device.operatingState;
  }

  forget(deviceName: string): void {
    this.entries.delete(deviceName);
  }

  succeeded(deviceName: string): void {
    const entry = this.entries.get(deviceName);
    if (!entry) return;
    entry.failures = 0;
    if (entry.state !== 'UP') this.change(deviceName, entry, 'UP', { reason: 'device answered' });
    else this.retryReport(deviceName, entry);
  }

  failed(deviceName: string, err: unknown): void {
    const entry = this.entries.get(deviceName);
    if (!entry || !isDeviceFailure(err)) return;
    entry.failures++;
    if (entry.failures >= this.allowedFails && entry.state !== 'DOWN') {
      this.change(deviceName, entry, 'DOWN', {
        reason: `${entry.failures} consecutive failures`,
        err: err instanceof Error ? err.message : String(err),
      });
    } else {
      this.retryReport(deviceName, entry);
    }
  }

  /** A reading broke its resource's assertion: the device is DOWN at once. */
  assertionFailed(deviceName: string, message: string): void {
    const entry = this.entries.get(deviceName);
    if (!entry) return;
    if (entry.state !== 'DOWN') this.change(deviceName, entry, 'DOWN', { reason: message });
  }

  private change(deviceName: string, entry: Entry, state: OperatingState, fields: object): void {
    const log = state === 'DOWN' ? this.logger.warn.bind(this.logger) : this.logger.info.bind(this.logger);
    log({ device: deviceName, operatingState: state, ...fields }, `device ${deviceName} is ${state}`);
    entry.state = state;
    this.onChange(deviceName, state);
    this.report(deviceName, entry);
  }

  private retryReport(deviceName: string, entry: Entry): void {
    if (entry.reported !== entry.state && this.clock.monotonicMs() - entry.lastReportAt >= REPORT_RETRY_MS) {
      this.report(deviceName, entry);
    }
  }

  private report(deviceName: string, entry: Entry): void {
    if (entry.reporting) return; // the running report re-checks when it is done
    entry.reporting = true;
    const state = entry.state;
    entry.lastReportAt = this.clock.monotonicMs();
    this.metadata
      .patchDevice({ name: deviceName, operatingState: state })
      .then(
        () => {
          entry.reported = state;
        },
        (err: unknown) => {
          entry.reported = undefined;
          this.logger.warn(
            { device: deviceName, operatingState: state, err: (err as Error).message },
            'could not report the operating state to core-metadata; will retry',
          );
        },
      )
      .finally(() => {
        entry.reporting = false;
        // The state moved on while we were reporting: report the newest one.
        if (entry.reported !== undefined && entry.reported !== entry.state && this.entries.get(deviceName) === entry) {
          this.report(deviceName, entry);
        }
      });
  }
}
