/**
 * Provision-watcher rules, as EdgeX applies them to a discovered device: every
 * `identifiers` entry is a regular expression that must match the value of
 * that protocol property (in whichever protocol carries it), and a value
 * listed under `blockingIdentifiers` vetoes the device. Unlike EdgeX (Go's
 * unanchored MatchString) the expression must match the whole value, so
 * `Port: 3[0-9]{2}` does not take port 3000.
 */
import { Device, ProvisionWatcher } from '@gw/contracts';
import type { DiscoveredDevice } from './driver/protocol-driver';

export type WatcherVerdict = { matches: true } | { matches: false; reason: string };

export function matchWatcher(found: DiscoveredDevice, watcher: ProvisionWatcher): WatcherVerdict {
  if (watcher.adminState === 'LOCKED') return { matches: false, reason: `watcher ${watcher.name} is LOCKED` };
  for (const [key, pattern] of Object.entries(watcher.identifiers)) {
    const values = propertyValues(found, key);
    if (values.length === 0) return { matches: false, reason: `no protocol property ${key}` };
    let regex: RegExp;
    try {
      regex = new RegExp(`^(?:${pattern})$`, 'u');
    } catch (err) {
      return { matches: false, reason: `watcher ${watcher.name}: identifier ${key} is not a valid regular expression (${(err as Error).message})` };
    }
    if (!values.some((v) => regex.test(v))) return { matches: false, reason: `${key}=${values.join('|')} does not match ${pattern}` };
  }
  for (const [key, blocked] of Object.entries(watcher.blockingIdentifiers ?? {})) {
    const hit = propertyValues(found, key).find((v) => blocked.includes(v));
    if (hit !== undefined) return { matches: false, reason: `${key}=${hit} is blocked by watcher ${watcher.name}` };
  }
  return { matches: true };
}

/** The metadata device a watcher makes of a discovered device. */
export function deviceFromDiscovery(found: DiscoveredDevice, watcher: ProvisionWatcher, serviceName: string): Device {
  const { discoveredDevice } = watcher;
  const labels = [...new Set([...(found.labels ?? []), ...(watcher.labels ?? [])])];
  const properties = { ...(found.properties ?? {}), ...(discoveredDevice.properties ?? {}) };
  const device: Device = {
    name: found.name,
    adminState: discoveredDevice.adminState ?? 'UNLOCKED',
    operatingState: 'UP',
    serviceName,
    protocols: found.protocols,
  };
  if (found.description) device.description = found.description;
  if (discoveredDevice.profileName) device.profileName = discoveredDevice.profileName;
  if (discoveredDevice.autoEvents?.length) device.autoEvents = discoveredDevice.autoEvents;
  if (labels.length) device.labels = labels;
  if (Object.keys(properties).length) device.properties = properties;
  return device;
}

/** The value of `key` in every protocol that has it, as text. */
function propertyValues(found: DiscoveredDevice, key: string): string[] {
  const values: string[] = [];
  for (const properties of Object.values(found.protocols ?? {})) {
    const value = properties?.[key];
    if (value !== undefined && value !== null && value !== '') values.push(String(value));
  }
  return values;
}
