/**
 * What an aws-shadow sink takes from its entry in the pipelines file,
 * checked: the gateway device ⇄ thing name map, the shadow name, TLS. Light
 * on purpose (no MQTT client): the pipelines file is checked with it at load,
 * and the sink builds itself from it.
 */
import type { AwsShadowSinkConfig } from './sink-config';
import { TlsOptions, tlsOptions } from './tls';

const THING_NAME = /^[A-Za-z0-9:_-]{1,128}$/;
const SHADOW_NAME = /^[A-Za-z0-9:_-]{1,64}$/;

export interface AwsShadowSettings {
  things: ThingMap;
  tls: TlsOptions;
}

export function awsShadowSettings(config: AwsShadowSinkConfig): AwsShadowSettings {
  const things = new ThingMap(config.thingName, config.devices);
  if (config.shadowName !== undefined && !SHADOW_NAME.test(config.shadowName)) {
    throw new Error(`sink ${config.name}: shadowName "${config.shadowName}" is not valid (1-64 letters, digits, ':', '_', '-')`);
  }
  return { things, tls: tlsOptions(config.tls) };
}

/** Gateway device ⇄ thing name, from the `thingName` template and the `devices` pattern. */
export class ThingMap {
  /** One thing per device (`{device}` in the template); otherwise one thing with a section per device. */
  readonly perDevice: boolean;
  private readonly inverse?: RegExp;
  private readonly devices?: RegExp;

  constructor(
    readonly template: string,
    devices?: string,
  ) {
    this.perDevice = template.includes('{device}');
    const fixed = template.split('{device}');
    if (fixed.some((part) => part !== '' && !THING_NAME.test(part))) {
      throw new Error(`thingName "${template}": a thing name has only letters, digits, ':', '_' and '-' (besides {device})`);
    }
    if (this.perDevice) {
      // Every `{device}` must be the same name: the first one captures, the others refer back.
      const [first, ...rest] = fixed.map(escapeRegExp);
      this.inverse = new RegExp(`^${first}(.+)${rest.join('\\1')}$`);
    }
    try {
      this.devices = devices ? new RegExp(devices) : undefined;
    } catch (err) {
      throw new Error(`devices "${devices}" is not a valid regular expression: ${(err as Error).message}`);
    }
  }

  handles(device: string): boolean {
    return device !== '' && (this.devices?.test(device) ?? true);
  }

  thingOf(device: string): string {
    return this.template.split('{device}').join(device);
  }

  /** The gateway device of a per-device thing, if this sink handles it. */
  deviceOf(thing: string): string | undefined {
    const device = this.inverse?.exec(thing)?.[1];
    return device !== undefined && this.handles(device) && this.thingOf(device) === thing ? device : undefined;
  }
}

/** Why AWS IoT would refuse this thing name, if it would. */
export function thingNameProblem(thing: string): string | undefined {
  if (THING_NAME.test(thing)) return undefined;
  return `thing name "${thing}" is not valid for AWS IoT (1-128 letters, digits, ':', '_', '-')`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
