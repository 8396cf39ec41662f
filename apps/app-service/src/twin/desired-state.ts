/**
 * Desired state from the cloud to actuators: each desired value is checked
 * against the device's profile (known resource, writable, a valid value of
 * its type) before it costs a device request, then written through
 * core-command and read back, so what the twin reports is what the device
 * says, not what was asked. One read back, not two: the PUT goes with
 * `ds-pushevent=false` (the device service neither reads back nor
 * publishes) and the read back with `ds-pushevent=true`, so its event is the
 * write's event everyone else hears of. A resource that cannot be read back
 * (write-only, `readBack: false`) is written plainly: the device service
 * publishes the values written. A change caught up on (re)connect is reconciled
 * against the device: read first, written only where the device differs
 * (its reported side may be stale). Every value gets an outcome; nothing throws.
 */
import { isDeepStrictEqual } from 'node:util';
import { canRead, canWrite, DeviceProfile, ErrorKind, Event, findResource, GatewayError, valueProblem } from '@gw/contracts';
import { readBackAllowed } from '@gw/device-sdk/write-report';
import { HTTP_STATUS_BY_KIND } from '@gw/service-kit';
import { typedValue } from '../pipeline/transforms';
import type { DesiredChange, DesiredOutcome, MethodCall, MethodResult, SinkLogger } from '../sinks/sink';

/** EdgeX's `ds-pushevent`: whether the device service publishes the event of the call (unset: its default). */
export interface PushEvent {
  pushEvent?: boolean;
}

/** What the handler needs from core-metadata and core-command (the REST clients, or fakes in tests). */
export interface ActuatorPorts {
  profileOf(deviceName: string): Promise<DeviceProfile>;
  get(deviceName: string, command: string, options?: PushEvent): Promise<Event>;
  set(deviceName: string, command: string, values: Record<string, string>, options?: PushEvent): Promise<void>;
}

export class DesiredStateHandler {
  constructor(
    private readonly ports: ActuatorPorts,
    private readonly logger: SinkLogger,
  ) {}

  /** Applies one change, value by value (a device's settings are independent). */
  async apply(change: DesiredChange): Promise<DesiredOutcome[]> {
    let profile: DeviceProfile;
    try {
      profile = await this.ports.profileOf(change.deviceName);
    } catch (err) {
      const failed = describe(err);
      return Object.keys(change.values).map((resource) => ({ resource, ok: false, ...failed }));
    }
    const outcomes: DesiredOutcome[] = [];
    for (const [resource, desired] of Object.entries(change.values)) {
      outcomes.push(await this.applyOne(change, profile, resource, desired));
    }
    return outcomes;
  }

  /**
   * A direct method: its name is a command (or resource) of the device; a
   * JSON object payload writes it (resource → value), no payload reads it.
   * Written values get the same profile checks as desired properties.
   */
  async call(call: MethodCall): Promise<MethodResult> {
    try {
      if (call.payload === null || call.payload === undefined || (typeof call.payload === 'object' && Object.keys(call.payload).length === 0)) {
        const event = await this.ports.get(call.deviceName, call.method);
        return { status: 200, payload: Object.fromEntries(event.readings.map((r) => [r.resourceName, typedValue(r)])) };
      }
      if (typeof call.payload !== 'object' || Array.isArray(call.payload)) {
        return { status: 400, payload: { message: `method ${call.method}: the payload must be a JSON object of resource values, or empty to read` } };
      }
      const profile = await this.ports.profileOf(call.deviceName);
      const values: Record<string, string> = {};
      for (const [resource, value] of Object.entries(call.payload as Record<string, unknown>)) {
        const refused = checkValue(call.deviceName, profile, resource, value);
        if (refused) return { status: refused.status, payload: { message: refused.message } };
        values[resource] = asText(value);
      }
      await this.ports.set(call.deviceName, call.method, values);
      this.logger.info({ device: call.deviceName, method: call.method }, 'direct method applied');
      return { status: 200, payload: { message: 'ok' } };
    } catch (err) {
      const { status, message } = describe(err);
      return { status, payload: { message } };
    }
  }

  private async readValue(deviceName: string, resource: string, options?: PushEvent): Promise<{ found: boolean; value?: unknown }> {
    const event = await this.ports.get(deviceName, resource, options);
    const reading = event.readings.find((r) => r.resourceName === resource);
    return reading ? { found: true, value: typedValue(reading) } : { found: false };
  }

  private async applyOne(change: DesiredChange, profile: DeviceProfile, resource: string, desired: unknown): Promise<DesiredOutcome> {
    const refuse = (status: number, message: string): DesiredOutcome => {
      this.logger.warn({ device: change.deviceName, resource, origin: change.origin, status }, `desired value refused: ${message}`);
      return { resource, ok: false, status, message };
    };
    const refused = checkValue(change.deviceName, profile, resource, desired);
    if (refused) return refuse(refused.status, refused.message);
    const found = findResource(profile, resource)!;
    const text = asText(desired);
    if (change.reconcile && canRead(found.properties.readWrite)) {
      const current = await this.readValue(change.deviceName, resource).catch((err: unknown) => err as Error);
      if (current instanceof Error) {
        const { status, message } = describe(current);
        return refuse(status, `could not read ${resource} to compare it with the desired value: ${message}`);
      }
      if (current.found && sameValue(current.value, desired)) {
        this.logger.info({ device: change.deviceName, resource, origin: change.origin, version: change.version }, 'desired value already on the device');
        return { resource, ok: true, value: current.value };
      }
    }
    const readBack = readBackAllowed(found);
    try {
      await this.ports.set(change.deviceName, resource, { [resource]: text }, readBack ? { pushEvent: false } : {});
    } catch (err) {
      const { status, message } = describe(err);
      return refuse(status, message);
    }
    this.logger.info({ device: change.deviceName, resource, origin: change.origin, version: change.version }, 'desired value written');
    if (!readBack) return { resource, ok: true, value: desired };
    try {
      const read = await this.readValue(change.deviceName, resource, { pushEvent: true });
      return { resource, ok: true, value: read.found ? read.value : desired };
    } catch (err) {
      // Written, but not confirmed (nor published): report what was written and say so in the log.
      this.logger.warn({ device: change.deviceName, resource, err: (err as Error).message }, 'desired value written but not read back');
      return { resource, ok: true, value: desired };
    }
  }
}

/** A desired value and what the device holds are the same setting (JSON equal, or the same text: `1` and `"1"`, `true` and `"true"`). */
function sameValue(device: unknown, desired: unknown): boolean {
  return isDeepStrictEqual(device, desired) || (typeof device !== 'object' && typeof desired !== 'object' && asText(device) === asText(desired));
}

/** Why a value may not be written to a resource (unknown 404, read-only 405, not of its type 400), or undefined. */
function checkValue(deviceName: string, profile: DeviceProfile, resource: string, value: unknown): { status: number; message: string } | undefined {
  const found = findResource(profile, resource);
  if (!found) return { status: 404, message: `device ${deviceName} (profile ${profile.name}) has no resource ${resource}` };
  if (!canWrite(found.properties.readWrite)) return { status: 405, message: `resource ${resource} of ${deviceName} is read-only` };
  const problem = valueProblem(found.properties.valueType, asText(value));
  return problem ? { status: 400, message: `resource ${resource}: ${problem}` } : undefined;
}

/** The cloud sends JSON; EdgeX SET parameters are text. */
function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

function describe(err: unknown): { status: number; message: string } {
  if (err instanceof GatewayError) return { status: HTTP_STATUS_BY_KIND[err.kind] ?? 500, message: err.message };
  return { status: HTTP_STATUS_BY_KIND[ErrorKind.Unknown], message: (err as Error)?.message ?? String(err) };
}
