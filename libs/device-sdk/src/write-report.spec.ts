import { Device, Event, ManualClock, validateDeviceProfile } from '@gw/contracts';
import { CommandExecutor } from './command-executor';
import { setFlags } from './command-flags';
import { DeviceRegistry } from './device-registry';
import type { ProtocolDriver, RawValue, WriteRequest } from './driver/protocol-driver';
import type { EventPublisher } from './event-publisher';
import { OperatingStateTracker } from './operating-state';
import { ProfileView } from './profile-view';

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const profile = validateDeviceProfile({
  name: 'P',
  deviceResources: [
    // The device clamps the setpoint to 50 (raw 25 with scale 2).
    { name: 'Setpoint', properties: { valueType: 'Int16', readWrite: 'RW', scale: 2 } },
    { name: 'Trigger', properties: { valueType: 'Bool', readWrite: 'W' } },
    { name: 'Mode', properties: { valueType: 'String', readWrite: 'RW', optional: { readBack: false } } },
  ],
  deviceCommands: [{ name: 'Both', readWrite: 'RW', resourceOperations: [{ deviceResource: 'Setpoint' }, { deviceResource: 'Mode', mappings: { '1': 'eco' } }] }],
});
const device: Device = { name: 'D', profileName: 'P', adminState: 'UNLOCKED', operatingState: 'UP', protocols: {} };

/** A device that keeps what is written, clamping Setpoint to raw 25; `failReads` makes reads fail. */
function setup() {
  const memory = new Map<string, RawValue>([['Setpoint', 0], ['Mode', '0']]);
  const reads: string[][] = [];
  let failReads = false;
  const driver = {
    read: async (_d: Device, _p: unknown, requests: Array<{ resource: { name: string } }>) => {
      reads.push(requests.map((r) => r.resource.name));
      if (failReads) throw new Error('bus timeout');
      return requests.map((r) => ({ value: memory.get(r.resource.name) }));
    },
    write: async (_d: Device, _p: unknown, requests: WriteRequest[]) => {
      for (const r of requests) memory.set(r.resource.name, r.resource.name === 'Setpoint' ? Math.min(Number(r.value), 25) : r.value);
    },
  } as unknown as ProtocolDriver;
  const clock = new ManualClock();
  const registry = new DeviceRegistry('svc');
  registry.setProfile(new ProfileView(profile));
  registry.setDevice(device);
  registry.synced = true;
  const tracker = new OperatingStateTracker({ patchDevice: async () => undefined }, silent, clock, 1);
  tracker.observed(device);
  const published: Event[] = [];
  const publisher = { publish: (e: Event) => published.push(e) } as unknown as EventPublisher;
  const executor = new CommandExecutor(registry, driver, tracker, publisher, clock, 1_000);
  return { executor, published, reads, failReads: () => (failReads = true) };
}

const values = (e: Event) => Object.fromEntries(e.readings.map((r) => [r.resourceName, 'value' in r ? r.value : undefined]));

describe('the event of a SET', () => {
  it('is read back from the device when the resource can be read, so a clamped value shows as the device has it', async () => {
    const { executor, published, reads } = setup();
    await executor.set('D', 'Setpoint', { Setpoint: '80' });
    expect(reads).toEqual([['Setpoint']]);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({ deviceName: 'D', profileName: 'P', sourceName: 'Setpoint' });
    expect(values(published[0])).toEqual({ Setpoint: '50' });
  });

  it('is the written value, through transforms and mappings, for a write-only resource or one that opts out of the read-back', async () => {
    const { executor, published, reads } = setup();
    await executor.set('D', 'Trigger', { Trigger: 'true' });
    await executor.set('D', 'Mode', { Mode: 'auto' });
    expect(reads).toEqual([]);
    expect(published.map(values)).toEqual([{ Trigger: 'true' }, { Mode: 'auto' }]);

    // A command with one resource that opts out is reported as written, mappings applied as on a read.
    await executor.set('D', 'Both', { Setpoint: '80', Mode: 'eco' });
    expect(reads).toEqual([]);
    expect(values(published[2])).toEqual({ Setpoint: '80', Mode: 'eco' });
  });

  it('falls back to the written values when the read-back fails, and the SET still succeeds', async () => {
    const { executor, published, failReads } = setup();
    failReads();
    await expect(executor.set('D', 'Setpoint', { Setpoint: '30' })).resolves.toBeUndefined();
    expect(published.map(values)).toEqual([{ Setpoint: '30' }]);
  });

  it('is not published with ds-pushevent=false, nor after a failed write', async () => {
    const { executor, published } = setup();
    await executor.set('D', 'Setpoint', { Setpoint: '10' }, setFlags({ 'ds-pushevent': 'false' }));
    await expect(executor.set('D', 'Setpoint', { Setpoint: 'x' })).rejects.toThrow();
    expect(published).toEqual([]);
    expect(setFlags(undefined)).toEqual({ pushEvent: true });
    expect(() => setFlags({ 'ds-pushevent': 'maybe' })).toThrow(/ds-pushevent must be "true" or "false"/);
  });
});
