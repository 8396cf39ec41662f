import { Device, ErrorKind, Event, GatewayError, ManualClock, validateDeviceProfile } from '@gw/contracts';
import { CommandExecutor } from './command-executor';
import { DeviceRegistry } from './device-registry';
import type { ProtocolDriver, ReadResult } from './driver/protocol-driver';
import type { EventPublisher } from './event-publisher';
import { OperatingStateTracker } from './operating-state';
import { ProfileView } from './profile-view';

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const profile = validateDeviceProfile({
  name: 'P',
  deviceResources: [
    { name: 'A', properties: { valueType: 'Int16', readWrite: 'R', scale: 2 } },
    { name: 'B', properties: { valueType: 'Int16', readWrite: 'R' } },
  ],
});
const device: Device = { name: 'D', profileName: 'P', adminState: 'UNLOCKED', operatingState: 'UP', protocols: {} };

function setup(read: () => Promise<ReadResult[]>) {
  const clock = new ManualClock();
  const registry = new DeviceRegistry('svc');
  registry.setProfile(new ProfileView(profile));
  registry.setDevice(device);
  registry.synced = true;
  const driver = { read } as unknown as ProtocolDriver;
  const tracker = new OperatingStateTracker({ patchDevice: async () => undefined }, silent, clock, 1);
  tracker.observed(device);
  const published: Event[] = [];
  const publisher = { publish: (e: Event) => published.push(e) } as unknown as EventPublisher;
  const executor = new CommandExecutor(registry, driver, tracker, publisher, clock, 1_000);
  return { clock, executor, tracker, registry };
}

describe('CommandExecutor', () => {
  it('fails a driver call that never answers with a Timeout, and counts it against the device', async () => {
    const { clock, executor, tracker } = setup(() => new Promise(() => undefined));
    const pending = executor.get('D', 'A');
    const outcome = pending.catch((err: unknown) => err);
    await clock.advance(1_000);
    const err = await outcome;
    expect(GatewayError.is(err, ErrorKind.Timeout)).toBe(true);
    expect((err as Error).message).toMatch(/driver read from D: no answer within 1000 ms/);
    expect(tracker.state('D')).toBe('DOWN');
  });

  it('turns a driver that throws synchronously into a rejected command', async () => {
    const { executor } = setup(() => {
      throw new GatewayError(ErrorKind.Communication, 'socket closed');
    });
    await expect(executor.get('D', 'A')).rejects.toThrow('socket closed');
  });

  it('refuses an answer with the wrong number of values', async () => {
    const { executor } = setup(async () => [{ value: 1 }, { value: 2 }]);
    await expect(executor.get('D', 'A')).rejects.toThrow(/driver returned 2 values for 1 resources/);
  });

  it("uses the driver's origin when it gives one, and applies transforms", async () => {
    const { executor } = setup(async () => [{ value: 21, origin: 1_234 }]);
    const event = await executor.get('D', 'A');
    expect(event!.readings[0]).toMatchObject({ origin: 1_234, value: '42', valueType: 'Int16' });
  });

  it('answers 503 before the first load from metadata, 404 for unknown names', async () => {
    const { executor, registry } = setup(async () => []);
    expect(() => executor.resolve('Nobody', 'A')).toThrow(expect.objectContaining({ kind: ErrorKind.EntityNotFound }));
    expect(() => executor.resolve('D', 'Nope')).toThrow(expect.objectContaining({ kind: ErrorKind.EntityNotFound }));
    registry.synced = false;
    expect(() => executor.resolve('D', 'A')).toThrow(expect.objectContaining({ kind: ErrorKind.ServiceUnavailable }));
  });
});
