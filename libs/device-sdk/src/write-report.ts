/**
 * What a successful SET tells the rest of the gateway: an event of the
 * command's source, published on the bus like a polled reading, so everything
 * that follows device state (core-data, the app service's twin transform)
 * hears of every write, whoever made it (REST, core-command, the bus, a cloud
 * twin).
 *
 * The event holds what the device says after the write when it can say it: a
 * source whose resources are all readable is read back once (one driver read),
 * so a device that clamps, rounds or silently ignores a value shows its real
 * state. A write-only resource, or one whose profile says
 * `properties.optional.readBack: false` (a read that costs too much, or has
 * side effects), is reported as written: the raw values sent to the driver
 * turned into readings exactly as a read of them would be (transforms,
 * mappings).
 */
import { canRead, Device, DeviceResource, Event, Reading } from '@gw/contracts';
import type { RawValue } from './driver/protocol-driver';
import { buildEvent } from './event-publisher';
import type { ProfileView, Source } from './profile-view';
import { makeReading } from './readings';

/** EdgeX's `ds-pushevent` on a PUT: publish the event of the write (default true here; EdgeX defines the flag for GET only). */
export interface SetOptions {
  pushEvent?: boolean;
}

/** True when every resource of the source can be read and none opts out of the read-back. */
export function wantsReadBack(source: Source): boolean {
  if (source.readProblem) return false;
  return source.operations.every((op) => readBackAllowed(op.resource));
}

/**
 * A write of the resource may be read back: it can be read, and its profile
 * does not opt out (`properties.optional.readBack: false`). Also for a
 * caller that reads back itself (the app service's desired-state handler).
 */
export function readBackAllowed(resource: DeviceResource): boolean {
  return canRead(resource.properties.readWrite) && !optedOut(resource.properties.optional?.readBack);
}

function optedOut(flag: unknown): boolean {
  return flag === false || (typeof flag === 'string' && flag.toLowerCase() === 'false');
}

/** The event of a write as written: one reading per resource, from the raw value the driver was given. */
export function writtenEvent(device: Device, view: ProfileView, source: Source, raws: RawValue[], origin: number): Event {
  const ctx = { deviceName: device.name, profileName: view.name, origin };
  const ignoredAssertions: string[] = [];
  const readings: Reading[] = source.operations.map((op, i) => makeReading(raws[i], op.resource, op.mappings, ctx, ignoredAssertions));
  return buildEvent(device.name, view.name, source.name, origin, readings);
}
