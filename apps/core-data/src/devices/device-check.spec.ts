import { Device, ErrorKind, Event, GatewayError, ManualClock, Topics } from '@gw/contracts';
import { DeviceDirectory } from '@gw/clients';
import { AskBudget } from './ask-budget';
import { DeviceCheck, MetadataState } from './device-check';

const known: Device[] = [
  { name: 'Boiler-1', profileName: 'Boiler', serviceName: 'device-modbus' },
  { name: 'Température-2', profileName: 'Boiler', serviceName: 'device-modbus' },
  { name: 'NoProfile', serviceName: 'device-modbus' },
] as Device[];

function event(deviceName = 'Boiler-1', profileName = 'Boiler', sourceName = 'Temperature'): Event {
  const reading = { id: 'r', origin: 1, deviceName, profileName, resourceName: 'Temperature', valueType: 'Float32' as const, value: '1' };
  return { apiVersion: 'v3', id: 'e', deviceName, profileName, sourceName, origin: 1, readings: [reading, { ...reading, id: 'r2' }] };
}

describe('DeviceCheck', () => {
  const asked: string[] = [];
  const state: { reachable: boolean; unreachable: jest.Mock } & MetadataState = { reachable: true, unreachable: jest.fn() };
  let down = false;
  const directory = new DeviceDirectory({
    device: async (name) => {
      asked.push(name);
      if (down) throw new GatewayError(ErrorKind.Timeout, 'no answer within 5000 ms');
      const found = known.find((d) => d.name === name);
      if (!found) throw new GatewayError(ErrorKind.EntityNotFound, 'no such device');
      return found;
    },
    allDevices: async () => known,
  });
  const check = new DeviceCheck(directory, state, new Topics('plant/edgex'));
  const topic = (service: string, profile: string, device: string, source: string) => `plant/edgex/events/device/${service}/${profile}/${device}/${source}`;

  beforeAll(() => directory.load());

  it('vouches for an event of a known device on its own topic, from the view alone', () => {
    expect(check.vouches(event(), topic('device-modbus', 'Boiler', 'Boiler-1', 'Temperature'))).toBe(true);
    const wrong: Array<[Event, string]> = [
      [event(), topic('device-virtual', 'Boiler', 'Boiler-1', 'Temperature')],
      [event(), topic('device-modbus', 'Boiler', 'Boiler-2', 'Temperature')],
      [event(), topic('device-modbus', 'Boiler', 'Boiler-1', 'Temperature/extra')],
      [event(), topic('device-modbus', 'Boiler', 'Boiler-1', 'Temp')],
      [event(), topic('device-modbus', 'Boil', 'Boiler-1', 'Temperature')],
      [event(), 'edgex/events/device/device-modbus/Boiler/Boiler-1/Temperature'],
      [event('Ghost'), topic('device-modbus', 'Boiler', 'Ghost', 'Temperature')],
      [event('Boiler-1', 'Other'), topic('device-modbus', 'Other', 'Boiler-1', 'Temperature')],
      [{ ...event(), readings: [{ ...event().readings[0], deviceName: 'Ghost' }] }, topic('device-modbus', 'Boiler', 'Boiler-1', 'Temperature')],
    ];
    for (const [e, t] of wrong) expect({ t, vouched: check.vouches(e, t) }).toEqual({ t, vouched: false });
    expect(asked).toEqual([]);
  });

  it('reads the four names of a topic, unescaping levels a publisher URL-escaped', () => {
    expect(check.sourceOfTopic(topic('device-modbus', 'Boiler', 'Temp%C3%A9rature-2', 'Temperature'))).toEqual({
      serviceName: 'device-modbus',
      profileName: 'Boiler',
      deviceName: 'Température-2',
      sourceName: 'Temperature',
    });
    for (const bad of [topic('s', 'p', 'd', 'x/y'), 'plant/edgex/events/device/s/p/d', topic('s', 'p', '%E0%A4%A', 'x'), topic('s', '', 'd', 'x')]) {
      expect(check.sourceOfTopic(bad)).toMatchObject({ reason: 'topicMismatch', path: 'topic', message: expect.stringContaining('{service}/{profile}/{device}/{source}') });
    }
  });

  it('says why it refuses: topic/payload mismatch, unknown device, wrong profile, wrong service', async () => {
    const source = (over: Partial<Record<'serviceName' | 'profileName' | 'deviceName' | 'sourceName', string>> = {}) => ({
      serviceName: 'device-modbus',
      profileName: 'Boiler',
      deviceName: 'Boiler-1',
      sourceName: 'Temperature',
      ...over,
    });
    expect(await check.check(event(), source(), 'topic')).toBeUndefined();
    expect(await check.check(event('Température-2'), source({ deviceName: 'Température-2' }), 'topic')).toBeUndefined();
    expect(await check.check(event(), source({ deviceName: 'Boiler-2' }), 'topic')).toEqual({
      reason: 'topicMismatch',
      path: 'event.deviceName',
      message: '"Boiler-1" does not match "Boiler-2" in the topic',
    });
    const stray = { ...event(), readings: [event().readings[0], { ...event().readings[1], profileName: 'Other' }] };
    expect(await check.check(stray, source(), 'URL path')).toMatchObject({ reason: 'topicMismatch', path: 'event.readings[1].profileName' });
    expect(await check.check(event('Ghost'), source({ deviceName: 'Ghost' }), 'topic')).toEqual({
      reason: 'unknownDevice',
      path: 'event.deviceName',
      message: 'device "Ghost" is not known to core-metadata',
    });
    expect(await check.check(event('Boiler-1', 'Other'), source({ profileName: 'Other' }), 'topic')).toMatchObject({
      reason: 'wrongProfile',
      message: '"Other" is not the profile of device "Boiler-1" (core-metadata: profile "Boiler")',
    });
    expect(await check.check(event('NoProfile'), source({ deviceName: 'NoProfile' }), 'topic')).toMatchObject({
      reason: 'wrongProfile',
      message: expect.stringContaining('(core-metadata: no profile)'),
    });
    expect(await check.check(event(), source({ serviceName: 'device-virtual' }), 'topic')).toMatchObject({
      reason: 'wrongService',
      message: '"device-virtual" is not the service of device "Boiler-1" (core-metadata: "device-modbus")',
    });
    // Metadata was asked about the names the view did not vouch for, once each.
    expect(asked).toEqual(['Ghost', 'Boiler-1', 'NoProfile']);
  });

  it('cannot refuse without core-metadata: says so, and tells the state, instead of guessing', async () => {
    down = true;
    await expect(check.check(event('Newcomer'), { serviceName: 'device-modbus', profileName: 'Boiler', deviceName: 'Newcomer', sourceName: 'Temperature' }, 'topic')).rejects.toMatchObject({
      kind: ErrorKind.ServiceUnavailable,
      message: 'cannot check device "Newcomer" with core-metadata (no answer within 5000 ms); try again later',
    });
    expect(state.unreachable).toHaveBeenCalledTimes(1);
    state.reachable = false;
    const before = asked.length;
    await expect(check.check(event('Other-New'), { serviceName: 'device-modbus', profileName: 'Boiler', deviceName: 'Other-New', sourceName: 'Temperature' }, 'topic')).rejects.toMatchObject({
      kind: ErrorKind.ServiceUnavailable,
    });
    expect(asked.length).toBe(before); // known to be down: not asked again per event
    // The view still vouches for the devices it knows.
    expect(await check.check(event(), { serviceName: 'device-modbus', profileName: 'Boiler', deviceName: 'Boiler-1', sourceName: 'Temperature' }, 'topic')).toBeUndefined();
  });
});

describe('DeviceCheck ask budget', () => {
  it('asks core-metadata about at most GW_CORE_DATA_DEVICE_ASK_RATE names a second; beyond it refuses at once, as unverified', async () => {
    const clock = new ManualClock();
    const asked: string[] = [];
    const directory = new DeviceDirectory(
      {
        device: async (name) => {
          asked.push(name);
          throw new GatewayError(ErrorKind.EntityNotFound, 'no such device');
        },
        allDevices: async () => known,
      },
      { clock },
    );
    await directory.load();
    const check = new DeviceCheck(directory, { reachable: true, unreachable: () => undefined }, new Topics('edgex'), new AskBudget(2, clock));
    const source = (deviceName: string) => ({ serviceName: 'device-modbus', profileName: 'Boiler', deviceName, sourceName: 'Temperature' });
    const ghost = (name: string) => check.check(event(name), source(name), 'topic');

    expect(await ghost('g1')).toMatchObject({ reason: 'unknownDevice' });
    expect(await ghost('g2')).toMatchObject({ reason: 'unknownDevice' });
    expect(await ghost('g3')).toEqual({
      reason: 'unverified',
      path: 'event.deviceName',
      message: 'device "g3" would have to be looked up in core-metadata, and core-data makes at most 2 such lookups a second (GW_CORE_DATA_DEVICE_ASK_RATE); try again later',
    });
    // A name answered a moment ago costs nothing (its answer stands), nor does a device the view knows.
    expect(await ghost('g1')).toMatchObject({ reason: 'unknownDevice' });
    expect(await check.check(event(), source('Boiler-1'), 'topic')).toBeUndefined();
    expect(asked).toEqual(['g1', 'g2']);
    // Half a second later: one more.
    await clock.advance(500);
    expect(await ghost('g4')).toMatchObject({ reason: 'unknownDevice' });
    expect(await ghost('g5')).toMatchObject({ reason: 'unverified' });
    expect(asked).toEqual(['g1', 'g2', 'g4']);
  });
});
