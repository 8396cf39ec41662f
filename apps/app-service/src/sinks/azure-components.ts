/**
 * Gateway device names as an Azure twin holds them. Twin property names may
 * not contain `.`, `$` or spaces, so without Plug and Play they are
 * %-escaped (`%2E`, `%24`, `%20`, `%25`) and unescaped on the way back. With
 * Plug and Play (a `modelId`), a device is a component whose name must be a
 * DTDL name: the device name itself, or the one `components` gives it.
 */
import { isDtdlName } from '../twin/dtdl';

export class ComponentNames {
  private readonly inverse = new Map<string, string>();

  constructor(
    readonly pnp: boolean,
    private readonly map: Record<string, string> = {},
  ) {
    for (const [device, component] of Object.entries(map)) this.inverse.set(component, device);
  }

  /** The twin key (component name) of a gateway device. */
  toTwin(device: string): string {
    return this.pnp ? (this.map[device] ?? device) : twinKey(device);
  }

  /** The gateway device of a twin key. */
  fromTwin(key: string): string {
    return this.pnp ? (this.inverse.get(key) ?? key) : fromTwinKey(key);
  }

  /** Why the device cannot be a Plug and Play component, if so. */
  problem(device: string): string | undefined {
    if (!this.pnp) return undefined;
    const component = this.toTwin(device);
    return isDtdlName(component)
      ? undefined
      : `device ${device}: "${component}" is not a DTDL component name (letters, digits, _; a letter first; at most 64): give it one under components`;
  }
}

/** Twin property names may not contain `.`, `$` or spaces. */
export function twinKey(name: string): string {
  return name.replace(/[%.$ ]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

export function fromTwinKey(key: string): string {
  return key.replace(/%(25|2E|24|20)/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}
