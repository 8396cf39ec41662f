/**
 * A device (or a provision watcher's discoveredDevice) checked against its
 * profile: metadata runs it when a device is added or its profile changes.
 */
import { findCommand, findResource } from './commands';
import { FieldIssue } from './errors';
import { Device, DeviceProfile } from './models';
import { toFieldIssues } from './problems';

/** Every autoEvent must read a deviceResource or deviceCommand that the profile has. */
export function checkDeviceAgainstProfile(device: Device, profile: DeviceProfile, path?: string): FieldIssue[] {
  const problems = (device.autoEvents ?? []).flatMap((event, i) =>
    findResource(profile, event.sourceName) || findCommand(profile, event.sourceName)
      ? []
      : [
          {
            path: ['autoEvents', i, 'sourceName'],
            message: `no deviceResource or deviceCommand named "${event.sourceName}" in profile "${profile.name}"`,
          },
        ],
  );
  return toFieldIssues(problems, { path });
}
