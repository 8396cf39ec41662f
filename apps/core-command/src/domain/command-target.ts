/**
 * Finds what a command addresses (device, its profile and device service, the
 * command itself) and refuses what metadata already tells us cannot work:
 * an unknown device or command (404), a method the command does not offer
 * (405), a locked device or device service (423). Looked up per request:
 * metadata is local, and a lock must take effect at once.
 */
import {
  Device,
  DeviceProfile,
  DeviceService,
  ErrorKind,
  GatewayError,
  ProfileCommand,
  commandsOf,
  findCommand,
  findResource,
} from '@gw/contracts';
import type { MetadataLookup } from './metadata-lookup';
import type { CommandMethod } from './query-params';

export interface CommandTarget {
  device: Device;
  profile: DeviceProfile;
  service: DeviceService;
  command: ProfileCommand;
}

export class CommandTargets {
  constructor(private readonly metadata: MetadataLookup) {}

  /** Everything but the lock check, which the caller runs last so that bad requests hear about their mistake first. */
  async resolve(deviceName: string, commandName: string, method: CommandMethod): Promise<CommandTarget> {
    const device = await this.metadata.device(deviceName);
    if (!device.serviceName || !device.profileName) {
      const missing = device.serviceName ? 'profile' : 'device service';
      throw new GatewayError(ErrorKind.EntityNotFound, `device '${deviceName}' has no ${missing}`);
    }
    const [profile, service] = await Promise.all([
      this.metadata.profile(device.profileName),
      this.metadata.deviceService(device.serviceName),
    ]);
    const command = commandsOf(profile).find((c) => c.name === commandName);
    if (!command) throw new GatewayError(ErrorKind.EntityNotFound, unknownCommand(deviceName, commandName, profile));
    if (method === 'get' && !command.get) {
      throw new GatewayError(ErrorKind.NotAllowed, `command '${commandName}' of device '${deviceName}' is write-only: GET is not allowed`);
    }
    if (method === 'set' && !command.set) {
      throw new GatewayError(ErrorKind.NotAllowed, `command '${commandName}' of device '${deviceName}' is read-only: SET is not allowed`);
    }
    return { device, profile, service, command };
  }

  /** 423 as EdgeX's device services answer it, before the request travels. */
  checkUnlocked({ device, service, command }: CommandTarget): void {
    if (service.adminState === 'LOCKED') {
      throw new GatewayError(
        ErrorKind.ServiceLocked,
        `command '${command.name}' of device '${device.name}': device service '${service.name}' is LOCKED`,
      );
    }
    if (device.adminState === 'LOCKED') {
      throw new GatewayError(ErrorKind.ServiceLocked, `command '${command.name}' of device '${device.name}': the device is LOCKED`);
    }
  }
}

function unknownCommand(deviceName: string, commandName: string, profile: DeviceProfile): string {
  const base = `device '${deviceName}' (profile '${profile.name}') has no command '${commandName}'`;
  const hidden = findCommand(profile, commandName)?.isHidden || findResource(profile, commandName)?.isHidden;
  return hidden ? `${base}: it is hidden, reachable only through the profile's deviceCommands` : base;
}
