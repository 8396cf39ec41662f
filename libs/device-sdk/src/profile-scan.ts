/**
 * EdgeX 4's profile scan (POST /api/v3/profilescan): the driver reads what a
 * device offers (an OPC UA server's variables, a BACnet device's objects...)
 * and drafts a profile; the SDK names it (the request's profileName, else
 * `<device>_profile_<unix seconds>` as EdgeX does), adds it to core-metadata
 * and moves the device to it. Runs in the background after a 202, one scan per
 * device at a time; DELETE /profilescan/device/name/{name} stops one.
 */
import { Clock, Device, ErrorKind, GatewayError } from '@gw/contracts';
import type { DeviceRegistry } from './device-registry';
import type { ProtocolDriver } from './driver/protocol-driver';
import type { SdkLogger } from './log';
import type { MetadataPort } from './metadata-sync';

export interface ProfileScanRequest {
  deviceName: string;
  profileName?: string;
  options?: Record<string, unknown>;
}

export class ProfileScan {
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>();

  constructor(
    private readonly registry: DeviceRegistry,
    private readonly driver: ProtocolDriver,
    private readonly metadata: MetadataPort,
    private readonly clock: Clock,
    private readonly logger: SdkLogger,
  ) {}

  /** Checks the request and starts the scan (refusing at once what cannot run); `done` settles when it ends. */
  start(request: ProfileScanRequest): { done: Promise<void> } {
    if (typeof this.driver.scanProfile !== 'function') {
      throw new GatewayError(ErrorKind.NotImplemented, `the driver of ${this.registry.serviceName} cannot scan a device for a profile`);
    }
    if (this.registry.serviceLocked) throw new GatewayError(ErrorKind.ServiceLocked, `device service ${this.registry.serviceName} is LOCKED`);
    const device = this.registry.device(request.deviceName);
    if (!device) throw new GatewayError(ErrorKind.EntityNotFound, `device ${request.deviceName} is not a device of ${this.registry.serviceName}`);
    if (this.running.has(device.name)) throw new GatewayError(ErrorKind.StatusConflict, `a profile scan of ${device.name} is still running`);
    const controller = new AbortController();
    const profileName = request.profileName || `${device.name}_profile_${Math.floor(this.clock.now() / 1000)}`;
    const done = this.run(device, profileName, request.options ?? {}, controller.signal).finally(() => this.running.delete(device.name));
    this.running.set(device.name, { controller, done });
    return { done };
  }

  /** Stops the scan of `deviceName` (404 when none runs). */
  cancel(deviceName: string): void {
    const scan = this.running.get(deviceName);
    if (!scan) throw new GatewayError(ErrorKind.EntityNotFound, `no profile scan of ${deviceName} is running`);
    scan.controller.abort();
    this.running.delete(deviceName);
  }

  stop(): void {
    for (const scan of this.running.values()) scan.controller.abort();
    this.running.clear();
  }

  private async run(device: Device, profileName: string, options: Record<string, unknown>, signal: AbortSignal): Promise<void> {
    this.logger.info({ device: device.name, profile: profileName }, 'profile scan started');
    try {
      const draft = await this.driver.scanProfile!(device, options, signal);
      if (signal.aborted) return void this.logger.info({ device: device.name }, 'profile scan stopped on request');
      await this.metadata.addProfile({ ...draft, name: profileName });
      if (signal.aborted) return;
      await this.metadata.patchDevice({ name: device.name, profileName });
      this.logger.info({ device: device.name, profile: profileName }, 'profile scan finished: profile added and the device moved to it');
    } catch (err) {
      if (signal.aborted) return;
      this.logger.warn({ device: device.name, profile: profileName, err: (err as Error).message }, 'profile scan failed');
    }
  }
}
