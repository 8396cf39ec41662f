import {
  AwsShadowSink,
  desiredRemovals,
  dispositionOf,
  mergeReported,
  outcomeState,
  planReported,
} from './aws-shadow-sink';
import { ThingMap, thingNameProblem } from './aws-shadow-settings';
import { firstShortfall, sendMerged } from './twin-delivery';
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

describe('planReported and mergeReported', () => {
  const merged = (records: OutboxRecord[], map: ThingMap) =>
    Object.fromEntries([...planReported(records, map).things].map(([thing, entries]) => [thing, mergeReported(map.perDevice, entries)]));

  it('merges records in order: the latest value per resource, per thing', () => {
    const records = [record('a', { x: 1, y: 1 }), record('b', { x: 5 }), record('a', { x: 2 }), record('a', { z: [1, 2] })];
    expect(planReported(records, new ThingMap('t-{device}')).refused).toBeUndefined();
    expect(merged(records, new ThingMap('t-{device}'))).toEqual({ 't-a': { x: 2, y: 1, z: [1, 2] }, 't-b': { x: 5 } });
  });

  it('nests devices under one thing when the template has no {device}', () => {
    expect(merged([record('a', { x: 1 }), record('b', { x: 5 }), record('a', { y: 2 })], new ThingMap('gw'))).toEqual({ gw: { a: { x: 1, y: 2 }, b: { x: 5 } } });
  });

  it('stops at the first record that can never be delivered, naming it; devices the sink does not handle are skipped', () => {
    const map = new ThingMap('{device}', '^(a|bad|ok)');
    const refusal = (records: OutboxRecord[]) => planReported([record('ok', { x: 1 }), record('other', { x: 1 }), ...records, record('a', { y: 1 })], map);

    const telemetry = refusal([record('a', { x: 1 }, 'telemetry')]);
    expect(telemetry.refused).toEqual({ index: 2, reason: expect.stringMatching(/^record \d+ is telemetry: an aws-shadow sink takes twin state only \(use the twin transform\)$/) });
    expect([...telemetry.things.keys()]).toEqual(['ok']);
    expect(telemetry.skipped).toBe(1);

    expect(refusal([record('a', '[1,2]')]).refused?.reason).toMatch(/^record \d+ \(device a\): the body is not a JSON object/);
    expect(refusal([record('a', 'not json')]).refused?.reason).toMatch(/^record \d+ \(device a\): the body is not a JSON object/);
    expect(refusal([record('bad.name', { x: 1 })]).refused?.reason).toMatch(/^record \d+ \(device bad.name\): thing name "bad.name" is not valid/);
  });
});

describe('sendMerged', () => {
  const entries = (n: number) => Array.from({ length: n }, (_, i) => ({ index: i + 10, bad: false }));
  /** A cloud that refuses any update holding a bad entry, and records what it accepted. */
  function cloud(failWith: 'reject' | 'retry' = 'reject') {
    const accepted: number[] = [];
    let calls = 0;
    const send = async (prefix: Array<{ index: number; bad: boolean }>) => {
      calls++;
      if (prefix.some((e) => e.bad)) throw new DeliveryError(`refused ${prefix.length}`, failWith);
      accepted.push(prefix.length);
    };
    return { send, accepted, calls: () => calls };
  }

  it('sends everything as one update when it is accepted', async () => {
    const { send, accepted } = cloud();
    await expect(sendMerged(entries(5), send)).resolves.toBeUndefined();
    expect(accepted).toEqual([5]);
  });

  it('finds the refused record by bisection, delivering every record before it', async () => {
    const list = entries(100);
    list[70].bad = true;
    const { send, accepted, calls } = cloud();
    const shortfall = await sendMerged(list, send);
    expect(shortfall).toEqual({ index: 80, error: expect.objectContaining({ disposition: 'reject', message: 'refused 71' }) });
    expect(Math.max(...accepted)).toBe(70);
    // Accepted prefixes only grow: the twin never goes back to older state.
    expect(accepted).toEqual([...accepted].sort((a, b) => a - b));
    expect(calls()).toBeLessThanOrEqual(1 + Math.ceil(Math.log2(100)));
  });

  it('a refused single record is its own shortfall, without more requests', async () => {
    const list = entries(1);
    list[0].bad = true;
    const { send, calls } = cloud();
    await expect(sendMerged(list, send)).resolves.toMatchObject({ index: 10, error: { disposition: 'reject' } });
    expect(calls()).toBe(1);
  });

  it('stops at the first retryable failure, reporting what was delivered before it', async () => {
    const list = entries(8);
    list[6].bad = true;
    const sent: number[] = [];
    const shortfall = await sendMerged(list, async (prefix) => {
      sent.push(prefix.length);
      if (sent.length === 3) throw new Error('connection lost');
      if (prefix.some((e) => e.bad)) throw new DeliveryError('refused', 'reject');
    });
    // 8 refused, 4 accepted, then 6 failed for the network: records 0-3 are delivered.
    expect(sent).toEqual([8, 4, 6]);
    expect(shortfall).toEqual({ index: 14, error: expect.objectContaining({ disposition: 'retry', message: 'connection lost' }) });
  });
});

it('firstShortfall picks the earliest record', () => {
  const at = (index: number) => ({ index, error: new DeliveryError(String(index), 'retry') });
  expect(firstShortfall([undefined, at(7), at(3), undefined, at(5)])).toEqual(at(3));
  expect(firstShortfall([undefined])).toBeUndefined();
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
    expect(refused).toEqual([{ deviceName: 'heater', resource: 'bogus', value: 1, status: 404 }]);
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
