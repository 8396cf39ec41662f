/**
 * EdgeX's DeviceCoreCommand: the commands a client may issue to one device,
 * worked out from its profile by commandsOf so core-command and the device
 * services agree on which commands exist.
 */
import { Device, DeviceProfile, ValueType, commandsOf, findResource } from '@gw/contracts';

export interface CoreCommandParameter {
  resourceName: string;
  valueType: ValueType;
}

export interface CoreCommand {
  name: string;
  get: boolean;
  set: boolean;
  /** `/api/v3/device/name/{device}/{command}`, relative to `url`. */
  path: string;
  /** core-command's own base URL. */
  url: string;
  /** For GET the readings to expect, for SET the values the body may carry. */
  parameters: CoreCommandParameter[];
}

export interface DeviceCoreCommand {
  deviceName: string;
  profileName: string;
  coreCommands: CoreCommand[];
}

export function commandPath(deviceName: string, commandName: string): string {
  return `/api/v3/device/name/${encodeURIComponent(deviceName)}/${encodeURIComponent(commandName)}`;
}

export function deviceCoreCommand(device: Device, profile: DeviceProfile, url: string): DeviceCoreCommand {
  return {
    deviceName: device.name,
    profileName: profile.name,
    coreCommands: commandsOf(profile).map((command) => ({
      name: command.name,
      get: command.get,
      set: command.set,
      path: commandPath(device.name, command.name),
      url,
      parameters: command.resourceNames.flatMap((resourceName) => {
        // metadata refuses profiles whose operations name a missing resource; stay total anyway.
        const resource = findResource(profile, resourceName);
        return resource ? [{ resourceName, valueType: resource.properties.valueType }] : [];
      }),
    })),
  };
}
