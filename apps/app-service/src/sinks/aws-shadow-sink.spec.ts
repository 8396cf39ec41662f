import { AwsShadowSink, desiredRemovals, dispositionOf, groupReported, outcomeState, ThingMap, thingNameProblem } from './aws-shadow-sink';
import { DeliveryError, OutboxRecord } from './sink';
import type { AwsShadowSinkConfig } from './sink-config';

let id = 1;
function record(key: string, body: unknown, kind: 'reported' | 'telemetry' = 'reported'): OutboxRecord {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return { id: id++, key, kind, body: Buffer.from(text), createdAt: 0, attempts: 0 };
}

describe('ThingMap', () => {
  it('maps devices to things and back through the template', () => {
    const map = new ThingMap('plant:1-{device}');
    expect(map.perDevice).toBe(true);
    expect(map.thingOf('pump-7')).toBe('plant:1-pump-7');
    expect(map.deviceOf('plant:1-pump-7')).toBe('pump-7');
    expect(map.deviceOf('plant:2-pump-7')).toBeUndefined();
    expect(map.deviceOf('plant:1-')).toBeUndefined();
  });

  it('needs every {device} of the template to name the same device', () => {
    const map = new ThingMap('{device}_twin_{device}');
    expect(map.deviceOf('a_twin_a')).toBe('a');
    expect(map.deviceOf('a_twin_b')).toBeUndefined();
  });

  it('only answers for devices matching the devices pattern', () => {
    const map = new ThingMap('{device}', '^pump');
    expect(map.deviceOf('pump1')).toBe('pump1');
    expect(map.deviceOf('valve1')).toBeUndefined();
    expect(map.handles('valve1')).toBe(false);
  });

  it('without {device} is one thing for the gateway', () => {
    const map = new ThingMap('gateway-01');
    expect(map.perDevice).toBe(false);
    expect(map.thingOf('pump')).toBe('gateway-01');
    expect(map.deviceOf('gateway-01')).toBeUndefined();
  });

  it('refuses templates AWS IoT could never accept, and bad patterns', () => {
    expect(() => new ThingMap('plant/{device}')).toThrow(/thingName "plant\/\{device\}"/);
    expect(() => new ThingMap('{device}', '(')).toThrow(/devices "\(" is not a valid regular expression/);
  });
});

it('thingNameProblem explains names AWS IoT refuses', () => {
  expect(thingNameProblem('meter-1')).toBeUndefined();
  expect(thingNameProblem('meter.1')).toMatch(/"meter.1" is not valid/);
  expect(thingNameProblem('x'.repeat(129))).toBeDefined();
});

describe('groupReported', () => {
  it('merges records in order: the latest value per resource, per thing', () => {
    const { updates, problems } = groupReported(
      [record('a', { x: 1, y: 1 }), record('b', { x: 5 }), record('a', { x: 2 }), record('a', { z: [1, 2] })],
      new ThingMap('t-{device}'),
    );
    expect(problems).toEqual([]);
    expect(Object.fromEntries(updates)).toEqual({ 't-a': { x: 2, y: 1, z: [1, 2] }, 't-b': { x: 5 } });
  });

  it('nests devices under one thing when the template has no {device}', () => {
    const { updates } = groupReported([record('a', { x: 1 }), record('b', { x: 5 }), record('a', { y: 2 })], new ThingMap('gw'));
    expect(Object.fromEntries(updates)).toEqual({ gw: { a: { x: 1, y: 2 }, b: { x: 5 } } });
  });

  it('names what cannot be delivered, and skips devices the sink does not handle', () => {
    const { updates, problems, skipped } = groupReported(
      [record('a', { x: 1 }, 'telemetry'), record('a', '[1,2]'), record('a', 'not json'), record('bad.name', { x: 1 }), record('other', { x: 1 }), record('ok', { x: 1 })],
      new ThingMap('{device}', '^(a|bad|ok)'),
    );
    expect(Object.fromEntries(updates)).toEqual({ ok: { x: 1 } });
    expect(skipped).toBe(1);
    expect(problems).toEqual([
      expect.stringMatching(/^record \d+ \(device a\): the body is not a JSON object/),
      expect.stringMatching(/^record \d+ \(device a\): the body is not a JSON object/),
      expect.stringMatching(/^device bad.name: thing name "bad.name" is not valid/),
      '1 record(s) of kind telemetry: an aws-shadow sink takes twin state only (use the twin transform)',
    ]);
  });
});

describe('desired outcomes', () => {
  const change = { deviceName: 'heater', values: { setpoint: 22, bogus: 1 }, origin: 'aws-delta' as const, version: 7 };
  const outcomes = [
    { resource: 'setpoint', ok: true as const, value: 21.5 },
    { resource: 'bogus', ok: false as const, status: 404, message: 'no resource bogus' },
  ];

  it('reports values and errors, and clears earlier errors of values now applied', () => {
    const { reported, refused } = outcomeState(true, [{ change, outcomes }]);
    expect(reported).toEqual({ setpoint: 21.5, gatewayErrors: { setpoint: null, bogus: { status: 404, message: 'no resource bogus', version: 7 } } });
    expect(refused).toEqual([{ deviceName: 'heater', resource: 'bogus', value: 1 }]);
    expect(desiredRemovals(true, refused)).toEqual({ bogus: null });
    expect(desiredRemovals(true, [])).toBeUndefined();
  });

  it('nests both under the device for a gateway-wide thing', () => {
    const { reported, refused } = outcomeState(false, [{ change, outcomes }]);
    expect(reported).toEqual({ heater: { setpoint: 21.5, gatewayErrors: { setpoint: null, bogus: expect.objectContaining({ status: 404 }) } } });
    expect(desiredRemovals(false, refused)).toEqual({ heater: { bogus: null } });
  });
});

it('drops records only for errors about the request itself', () => {
  expect([400, 413, 415].map(dispositionOf)).toEqual(['reject', 'reject', 'reject']);
  expect([401, 403, 404, 409, 429, 500, 503].map(dispositionOf).every((d) => d === 'retry')).toBe(true);
});

describe('AwsShadowSink', () => {
  const config: AwsShadowSinkConfig = {
    name: 'aws',
    type: 'aws-shadow',
    url: 'mqtts://example-ats.iot.eu-west-1.amazonaws.com:8883',
    clientId: 'gateway-01',
    tls: { rejectUnauthorized: true },
    thingName: '{device}',
  };

  it('refuses an invalid shadow name at construction', () => {
    expect(() => new AwsShadowSink({ ...config, shadowName: 'my shadow' })).toThrow(/shadowName "my shadow" is not valid/);
  });

  it('asks for a retry when not started', async () => {
    const sink = new AwsShadowSink(config);
    expect(sink.connected).toBe(false);
    await expect(sink.deliver([record('a', { x: 1 })], { batched: false, gzip: false })).rejects.toEqual(expect.any(DeliveryError));
    await expect(sink.deliver([record('a', { x: 1 })], { batched: false, gzip: false })).rejects.toMatchObject({ disposition: 'retry' });
  });
});
