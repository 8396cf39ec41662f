/**
 * Which resources an autoEvent's source stands for (a resource, or a
 * deviceCommand's resourceOperations), so values a device reports on its own
 * are pushed under the sources that watch them.
 */
import type { DeviceProfile } from '@gw/contracts';

export function resourcesOfSource(profile: DeviceProfile, sourceName: string): string[] | undefined {
  if (profile.deviceResources.some((r) => r.name === sourceName)) return [sourceName];
  const command = (profile.deviceCommands ?? []).find((c) => c.name === sourceName);
  return command?.resourceOperations.map((op) => op.deviceResource);
}
