/**
 * Gateway device names as an Azure twin holds them. Twin property names may
 * not contain `.`, `$` or spaces, so without Plug and Play they are
 * %-escaped (`%2E`, `%24`, `%20`, `%25`) and unescaped on the way back. With
 * Plug and Play (a `modelId`), a device is a component whose name must be a
 * DTDL name: the one `components` gives it, else the device name when it is
 * one, else the device name cleaned (`Demo-Sensor-01` → `Demo_Sensor_01`,
 * dtdl.ts dtdlNameOf). Two devices whose names clean to the same component
 * name: the first one seen gets it, the other is refused until `components`
 * names it. A cleaned name maps back to its device once the device is known:
 * seen in a record, or learned from core-metadata (learn()).
 */
import { dtdlNameOf, isDtdlName } from '../twin/dtdl';

export class ComponentNames {
  /** Component name → the device that has it (configured ones first, then as devices are seen). */
  private readonly inverse = new Map<string, string>();

  constructor(
    readonly pnp: boolean,
    private readonly map: Record<string, string> = {},
  ) {
    for (const [device, component] of Object.entries(map)) this.inverse.set(component, device);
  }

  /** The twin key (component name) of a gateway device. */
  toTwin(device: string): string {
    if (!this.pnp) return twinKey(device);
    const component = this.map[device] ?? (isDtdlName(device) ? device : dtdlNameOf(device));
    if (!this.inverse.has(component)) this.inverse.set(component, device);
    return component;
  }

  /** The gateway device of a twin key. */
  fromTwin(key: string): string {
    return this.pnp ? (this.inverse.get(key) ?? key) : fromTwinKey(key);
  }

  /** Whether a twin key is known to belong to a device (else learn() may find it). */
  knows(key: string): boolean {
    return !this.pnp || this.inverse.has(key);
  }

  /** Devices known to exist (core-metadata): their component names map back to them from now on. */
  learn(devices: string[]): void {
    for (const device of [...devices].sort()) this.toTwin(device);
  }

  /** Why the device cannot be a Plug and Play component, if so. */
  problem(device: string): string | undefined {
    if (!this.pnp) return undefined;
    const component = this.toTwin(device);
    if (!isDtdlName(component)) {
      return `device ${device}: "${component}" is not a DTDL component name (letters, digits, _; a letter first; at most 64): give it one under components`;
    }
    const owner = this.inverse.get(component);
    return owner === device ? undefined : `device ${device}: its component name "${component}" is taken by device ${owner}: give it another under components`;
  }
}

/** Twin property names may not contain `.`, `$` or spaces. */
export function twinKey(name: string): string {
  return name.replace(/[%.$ ]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

export function fromTwinKey(key: string): string {
  return key.replace(/%(25|2E|24|20)/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}
