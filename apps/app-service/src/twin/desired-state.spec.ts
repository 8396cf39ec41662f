import { DeviceProfile, ErrorKind, Event, GatewayError } from '@gw/contracts';
import { ActuatorPorts, DesiredStateHandler, PushEvent } from './desired-state';

const profile = {
  name: 'Boiler',
  deviceResources: [
    { name: 'Setpoint', properties: { valueType: 'Float32', readWrite: 'RW' } },
    { name: 'Burner', properties: { valueType: 'Bool', readWrite: 'RW' } },
    { name: 'Temperature', properties: { valueType: 'Float32', readWrite: 'R' } },
    { name: 'Reset', properties: { valueType: 'Bool', readWrite: 'W' } },
    // A read with side effects: the profile opts out of reading it back after a write.
    { name: 'Valve', properties: { valueType: 'Bool', readWrite: 'RW', optional: { readBack: 'false' } } },
  ],
  deviceCommands: [],
} as unknown as DeviceProfile;

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

type Call = [string, PushEvent | undefined];

function ports(device: Record<string, string>, failSet?: GatewayError): ActuatorPorts & { sets: Array<[string, Record<string, string>]>; calls: Call[] } {
  const sets: Array<[string, Record<string, string>]> = [];
  const calls: Call[] = [];
  return {
    sets,
    calls,
    profileOf: async (name) => {
      if (name !== 'boiler-1') throw new GatewayError(ErrorKind.EntityNotFound, `device ${name} not found`);
      return profile;
    },
    set: async (_d, command, values, flags) => {
      calls.push([`PUT ${command}`, flags]);
      if (failSet) throw failSet;
      sets.push([command, values]);
      Object.assign(device, values);
    },
    get: async (_d, command, flags) => (
      calls.push([`GET ${command}`, flags]),
      {
        readings: [{ resourceName: command, value: device[command] === '55' ? '5.5e+01' : device[command], valueType: command === 'Burner' ? 'Bool' : 'Float32' }],
      } as unknown as Event
    ),
  };
}

describe('DesiredStateHandler', () => {
  it('writes each desired value through core-command and reports what the device reads back', async () => {
    const p = ports({});
    const handler = new DesiredStateHandler(p, quiet);
    const outcomes = await handler.apply({ deviceName: 'boiler-1', values: { Setpoint: 55, Burner: true }, origin: 'aws-delta', version: 7 });
    expect(p.sets).toEqual([
      ['Setpoint', { Setpoint: '55' }],
      ['Burner', { Burner: 'true' }],
    ]);
    expect(outcomes).toEqual([
      { resource: 'Setpoint', ok: true, value: 55 },
      { resource: 'Burner', ok: true, value: true },
    ]);
  });

  it('reconciles a catch-up against the device: reads first and writes only what differs', async () => {
    const device = { Setpoint: '55', Burner: 'false' };
    const p = ports(device);
    const reads: string[] = [];
    const get = p.get;
    p.get = (d, command) => (reads.push(command), get(d, command));
    const handler = new DesiredStateHandler(p, quiet);
    const outcomes = await handler.apply({ deviceName: 'boiler-1', values: { Setpoint: 55, Burner: true, Reset: true }, origin: 'azure-desired', version: 3, reconcile: true });
    // Setpoint already 55 (read as 5.5e+01): not written. Burner differs: written and read back. Reset cannot be read: written.
    expect(p.sets).toEqual([
      ['Burner', { Burner: 'true' }],
      ['Reset', { Reset: 'true' }],
    ]);
    expect(reads).toEqual(['Setpoint', 'Burner', 'Burner']);
    expect(outcomes).toEqual([
      { resource: 'Setpoint', ok: true, value: 55 },
      { resource: 'Burner', ok: true, value: true },
      { resource: 'Reset', ok: true, value: true },
    ]);

    // A device that cannot be read is not written blindly: the value fails with the read's status, to be tried again.
    const down = ports({});
    down.get = async () => {
      throw new GatewayError(ErrorKind.ServiceUnavailable, 'device boiler-1 is not answering');
    };
    expect(await new DesiredStateHandler(down, quiet).apply({ deviceName: 'boiler-1', values: { Burner: true }, origin: 'aws-delta', reconcile: true })).toEqual([
      { resource: 'Burner', ok: false, status: 503, message: expect.stringMatching(/could not read Burner .*not answering/) },
    ]);
    expect(down.sets).toEqual([]);
  });

  it('refuses unknown, read-only and ill-typed values before any device request, and applies the rest', async () => {
    const p = ports({});
    const outcomes = await new DesiredStateHandler(p, quiet).apply({
      deviceName: 'boiler-1',
      values: { Nope: 1, Temperature: 20, Burner: 'maybe', Setpoint: 40 },
      origin: 'azure-desired',
    });
    expect(outcomes).toEqual([
      { resource: 'Nope', ok: false, status: 404, message: expect.stringMatching(/no resource Nope/) },
      { resource: 'Temperature', ok: false, status: 405, message: expect.stringMatching(/read-only/) },
      { resource: 'Burner', ok: false, status: 400, message: expect.stringMatching(/^resource Burner: /) },
      { resource: 'Setpoint', ok: true, value: 40 },
    ]);
    expect(p.sets).toEqual([['Setpoint', { Setpoint: '40' }]]);
  });

  it('reports the status core-command gave (a locked device: 423) and an unknown device (404) for every value', async () => {
    const locked = ports({}, new GatewayError(ErrorKind.ServiceLocked, 'device boiler-1 is locked'));
    expect(await new DesiredStateHandler(locked, quiet).apply({ deviceName: 'boiler-1', values: { Setpoint: 1 }, origin: 'aws-delta' })).toEqual([
      { resource: 'Setpoint', ok: false, status: 423, message: 'device boiler-1 is locked' },
    ]);
    expect(await new DesiredStateHandler(ports({}), quiet).apply({ deviceName: 'ghost', values: { A: 1, B: 2 }, origin: 'aws-delta' })).toEqual([
      { resource: 'A', ok: false, status: 404, message: 'device ghost not found' },
      { resource: 'B', ok: false, status: 404, message: 'device ghost not found' },
    ]);
  });

  it('reads a write back once: the PUT asks the device service for no read-back or event, the read back publishes it', async () => {
    const p = ports({});
    await new DesiredStateHandler(p, quiet).apply({ deviceName: 'boiler-1', values: { Setpoint: 40, Reset: true, Valve: true }, origin: 'aws-delta' });
    expect(p.calls).toEqual([
      ['PUT Setpoint', { pushEvent: false }],
      ['GET Setpoint', { pushEvent: true }],
      // Not readable, or opted out of the read-back: written plainly, the device service publishes what was written.
      ['PUT Reset', {}],
      ['PUT Valve', {}],
    ]);
  });

  it('reports a write-only value as written, without a read', async () => {
    const p = ports({});
    expect(await new DesiredStateHandler(p, quiet).apply({ deviceName: 'boiler-1', values: { Reset: true }, origin: 'azure-desired' })).toEqual([
      { resource: 'Reset', ok: true, value: true },
    ]);
  });

  it('runs a direct method: an object payload writes the command, no payload reads it', async () => {
    const p = ports({ Burner: 'false' });
    const handler = new DesiredStateHandler(p, quiet);
    expect(await handler.call({ deviceName: 'boiler-1', method: 'Burner', payload: { Burner: true } })).toEqual({ status: 200, payload: { message: 'ok' } });
    expect(await handler.call({ deviceName: 'boiler-1', method: 'Burner', payload: null })).toEqual({ status: 200, payload: { Burner: true } });
    expect(await handler.call({ deviceName: 'boiler-1', method: 'Burner', payload: 3 })).toMatchObject({ status: 400 });
    // The same profile checks as desired properties, before any device request.
    expect(await handler.call({ deviceName: 'boiler-1', method: 'Temperature', payload: { Temperature: 20 } })).toMatchObject({ status: 405 });
    expect(await handler.call({ deviceName: 'boiler-1', method: 'Burner', payload: { Burner: 'maybe' } })).toMatchObject({ status: 400 });
    expect(p.sets).toEqual([['Burner', { Burner: 'true' }]]);
    const locked = new DesiredStateHandler(ports({}, new GatewayError(ErrorKind.ServiceLocked, 'locked')), quiet);
    expect(await locked.call({ deviceName: 'boiler-1', method: 'Burner', payload: { Burner: false } })).toEqual({ status: 423, payload: { message: 'locked' } });
  });
});
