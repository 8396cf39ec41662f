/**
 * What a profile offers to core-command and the device services, worked out
 * the way EdgeX does it, so every service agrees on which commands exist.
 */
import { DeviceCommand, DeviceProfile, DeviceResource, ReadWrite } from './models';

export interface ProfileCommand {
  name: string;
  /** A GET is allowed (readWrite has R). */
  get: boolean;
  /** A SET is allowed (readWrite has W). */
  set: boolean;
  /** The deviceResources it reads or writes, in order. */
  resourceNames: string[];
}

export const canRead = (readWrite: ReadWrite): boolean => readWrite.includes('R');
export const canWrite = (readWrite: ReadWrite): boolean => readWrite.includes('W');

/**
 * The commands core-command lists for a device of this profile: each
 * non-hidden deviceCommand, then each non-hidden deviceResource under its own
 * name, unless a deviceCommand already took that name (EdgeX lets the command win).
 */
export function commandsOf(profile: DeviceProfile): ProfileCommand[] {
  const commands = profile.deviceCommands
    .filter((c) => !c.isHidden)
    .map((c) => ({
      name: c.name,
      get: canRead(c.readWrite),
      set: canWrite(c.readWrite),
      resourceNames: c.resourceOperations.map((op) => op.deviceResource),
    }));
  const taken = new Set(commands.map((c) => c.name));
  for (const r of profile.deviceResources) {
    if (r.isHidden || taken.has(r.name)) continue;
    const { readWrite } = r.properties;
    commands.push({ name: r.name, get: canRead(readWrite), set: canWrite(readWrite), resourceNames: [r.name] });
  }
  return commands;
}

export function findResource(profile: DeviceProfile, name: string): DeviceResource | undefined {
  return profile.deviceResources.find((r) => r.name === name);
}

/** The deviceCommand of that name (hidden or not); resources are found with findResource. */
export function findCommand(profile: DeviceProfile, name: string): DeviceCommand | undefined {
  return profile.deviceCommands.find((c) => c.name === name);
}
