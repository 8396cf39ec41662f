/**
 * core-command's use cases, shared by the REST controller and the bus API:
 * list a device's commands, and run one command on its device service.
 */
import { randomUUID } from 'node:crypto';
import { DeviceProfile } from '@gw/contracts';
import { CommandForwarder } from './command-forwarder';
import { CommandMetrics } from './command-metrics';
import { CommandTargets } from './command-target';
import { DeviceCoreCommand, deviceCoreCommand } from './core-commands';
import type { SuccessPayload } from './device-service-reply';
import type { MetadataLookup } from './metadata-lookup';
import { parsePaging } from '@gw/service-kit';
import { CommandMethod, commandQueryParams } from './query-params';
import { checkSetValues, requireSetBody } from './set-values';

export interface CommandCall {
  deviceName: string;
  commandName: string;
  method: CommandMethod;
  /** Query parameters as the caller gave them (validated here). */
  query?: Record<string, unknown>;
  /** SET only: `{ resourceName: value }`. */
  body?: unknown;
  /** A bus caller's requestID is kept end to end; REST calls get a fresh one. */
  requestId?: string;
  correlationId?: string;
}

export interface DeviceCoreCommandPage {
  totalCount: number;
  deviceCoreCommands: DeviceCoreCommand[];
}

export class CoreCommandService {
  private readonly targets: CommandTargets;

  constructor(
    private readonly metadata: MetadataLookup,
    private readonly forwarder: CommandForwarder,
    /** core-command's base URL for listed commands; known only once the app listens. */
    private readonly publicUrl: () => string,
    private readonly maxResultCount: number,
    private readonly metrics: CommandMetrics,
  ) {
    this.targets = new CommandTargets(metadata);
  }

  async deviceCommands(deviceName: string): Promise<DeviceCoreCommand> {
    const device = await this.metadata.device(deviceName);
    if (!device.profileName) return { deviceName, profileName: '', coreCommands: [] };
    return deviceCoreCommand(device, await this.metadata.profile(device.profileName), this.publicUrl());
  }

  async allDeviceCommands(query: { offset?: unknown; limit?: unknown }): Promise<DeviceCoreCommandPage> {
    const paging = parsePaging(query, this.maxResultCount);
    // Metadata pages (and answers 416 past the end); only this page's devices travel.
    const { totalCount, devices: page } = await this.metadata.devicesPage(paging.offset, paging.limit);
    // Many devices share a profile: fetch each profile once per listing.
    const profiles = new Map<string, Promise<DeviceProfile>>();
    const profileOf = (name: string) => {
      let profile = profiles.get(name);
      if (!profile) profiles.set(name, (profile = this.metadata.profile(name)));
      return profile;
    };
    const url = this.publicUrl();
    const deviceCoreCommands = await Promise.all(
      page.map(async (device) =>
        device.profileName
          ? deviceCoreCommand(device, await profileOf(device.profileName), url)
          : { deviceName: device.name, profileName: '', coreCommands: [] },
      ),
    );
    return { totalCount, deviceCoreCommands };
  }

  /** Runs a GET or SET on the owning device service; resolves with its success payload, rejects with a GatewayError. */
  execute(call: CommandCall): Promise<SuccessPayload> {
    return this.metrics.time(call.method, () => this.run(call));
  }

  private async run(call: CommandCall): Promise<SuccessPayload> {
    const { deviceName, commandName, method } = call;
    const queryParams = commandQueryParams(method, call.query);
    if (method === 'set') requireSetBody(deviceName, commandName, call.body);
    const target = await this.targets.resolve(deviceName, commandName, method);
    const payload = method === 'set' ? checkSetValues(deviceName, target.profile, target.command, call.body) : undefined;
    this.targets.checkUnlocked(target);
    return this.forwarder.forward({
      serviceName: target.service.name,
      deviceName,
      commandName,
      method,
      requestId: call.requestId || randomUUID(),
      correlationId: call.correlationId,
      queryParams,
      payload,
    });
  }
}
