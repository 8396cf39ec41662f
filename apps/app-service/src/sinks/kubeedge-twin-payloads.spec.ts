import { hostname } from 'node:os';
import { desiredOf, errorKey, errorTwin, message, parseDelta, parseResult, replyOf, reportedTwin, topics, twinText } from './kubeedge-twin-payloads';
import { toKubernetesName as defaultKubeName } from '@gw/contracts/kubernetes-names';
import { kubeEdgeTwinSettings, KubeNames } from './kubeedge-twin-settings';
import { KubeEdgeTwinSinkSchema } from './sink-config';

describe('KubeEdge twin payloads', () => {
  it('builds reported state as twin entries: actual text with its timestamp, and a type edgecore checks values against', () => {
    const { twin, omitted } = reportedTwin({ Temperature: 21.5, Count: -3, Fan: true, Label: 'hall-1', Empty: '' }, 1_700_000_000_123);
    expect(twin).toEqual({
      Temperature: { actual: { value: '21.5', metadata: { timestamp: 1_700_000_000_123 } }, metadata: { type: 'float' } },
      Count: { actual: { value: '-3', metadata: { timestamp: 1_700_000_000_123 } }, metadata: { type: 'float' } },
      Fan: { actual: { value: 'true', metadata: { timestamp: 1_700_000_000_123 } }, metadata: { type: 'boolean' } },
      Label: { actual: { value: 'hall-1', metadata: { timestamp: 1_700_000_000_123 } }, metadata: { type: 'string' } },
      Empty: { actual: { value: '', metadata: { timestamp: 1_700_000_000_123 } }, metadata: { type: 'string' } },
    });
    expect(omitted).toEqual([]);
  });

  it('leaves out what a twin cannot hold (edgecore would refuse the whole update), naming the resource and why', () => {
    const { twin, omitted } = reportedTwin({ ok: 1, 'has space': 1, Text: 'two words', Obj: { a: 1 }, Arr: [1], Nul: null, Big: 1e21, 'gatewayErrors.x': 'y' }, 1);
    expect(Object.keys(twin)).toEqual(['ok']);
    expect(omitted.map((o) => o.resource)).toEqual(['has space', 'Text', 'Obj', 'Arr', 'Nul', 'Big', 'gatewayErrors.x']);
    expect(omitted.find((o) => o.resource === 'Text')!.reason).toMatch(/characters a twin value may not hold/);
    expect(omitted.find((o) => o.resource === 'Obj')!.reason).toMatch(/object value has no twin form/);
    expect(omitted.find((o) => o.resource === 'Big')!.reason).toMatch(/1e\+21/);
  });

  it('a refused desired value becomes gatewayErrors.<resource> = <status>:<message> in what a twin value may hold', () => {
    expect(errorKey('Fan')).toBe('gatewayErrors.Fan');
    expect(errorKey('x'.repeat(120))).toBeUndefined();
    expect(errorTwin(405, 'resource Temperature of Demo-Sensor-01 is read-only', 5)).toEqual({
      actual: { value: '405:resource_Temperature_of_Demo-Sensor-01_is_read-only', metadata: { timestamp: 5 } },
      metadata: { type: 'string' },
    });
    expect(errorTwin(400, 'x '.repeat(400), 5).actual!.value).toHaveLength(512);
    expect(twinText(true)).toEqual({ text: 'true', type: 'boolean' });
  });

  it('messages carry event_id and a millisecond timestamp', () => {
    expect(JSON.parse(message('e-1', 1_700_000_000_123, { state: 'online' }))).toEqual({ event_id: 'e-1', timestamp: 1_700_000_000_123, state: 'online' });
  });

  it('topics: the device id is {namespace}/{name}; replies are parsed back', () => {
    expect(topics.twinUpdate('plant/demo-sensor-01')).toBe('$hw/events/device/plant/demo-sensor-01/twin/update');
    expect(topics.twinGet('plant/d')).toBe('$hw/events/device/plant/d/twin/get');
    expect(topics.stateUpdate('plant/d')).toBe('$hw/events/device/plant/d/state/update');
    expect(Object.keys(topics.replies('plant'))).toEqual([
      '$hw/events/device/plant/+/twin/update/result',
      '$hw/events/device/plant/+/twin/update/delta',
      '$hw/events/device/plant/+/twin/get/result',
    ]);
    expect(replyOf('$hw/events/device/plant/d/twin/update/delta')).toEqual({ namespace: 'plant', name: 'd', kind: 'delta' });
    expect(replyOf('$hw/events/device/plant/d/twin/get/result')).toEqual({ namespace: 'plant', name: 'd', kind: 'get-result' });
    expect(replyOf('$hw/events/device/plant/d/twin/update/document')).toBeUndefined();
    expect(replyOf('$hw/events/device/d/twin/update/result')).toBeUndefined();
  });

  it('parses a delta: each differing key with its desired value and the time edgecore stored it', () => {
    const parsed = parseDelta({
      event_id: 'e',
      timestamp: 1,
      twin: {
        Fan: { expected: { value: 'true', metadata: { timestamp: 1234 } }, actual: { value: 'false', metadata: { timestamp: 99 } }, metadata: { type: 'boolean' } },
        Speed: { expected: { value: '3' }, metadata: { type: 'int' } },
      },
      delta: { Fan: 'true', Speed: '3', 'gatewayErrors.Fan': 'x' },
    });
    expect(parsed).toEqual({ ok: true, value: { Fan: { value: 'true', timestamp: 1234 }, Speed: { value: '3' } } });
  });

  it.each([
    ['a string', '"x"', '', /not a JSON object/],
    ['no delta', { twin: {} }, 'delta', /missing/],
    ['a delta value that is not text', { delta: { Fan: true } }, 'delta.Fan', /not text/],
    ['a delta key that is no twin key', { delta: { 'a b': '1' } }, 'delta.a b', /not a twin key/],
    ['a long key, shortened in the field named', { delta: { [`${'k'.repeat(300)} `]: '1' } }, `delta.${'k'.repeat(40)}…`, /not a twin key/],
    ['a twin entry that is not an object', { delta: { Fan: '1' }, twin: { Fan: 3 } }, 'twin.Fan', /not a twin entry/],
    ['an expected value that is not text', { delta: { Fan: '1' }, twin: { Fan: { expected: { value: 1 } } } }, 'twin.Fan.expected.value', /not text/],
    ['a timestamp that is not a number', { delta: { Fan: '1' }, twin: { Fan: { expected: { value: '1', metadata: { timestamp: 'now' } } } } }, 'twin.Fan.expected.metadata.timestamp', /not a number/],
  ])('refuses a malformed delta (%s), naming the field', (_what, body, field, reason) => {
    const parsed = parseDelta(typeof body === 'string' ? JSON.parse(body) : body);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.field).toBe(field);
    expect(parsed.reason).toMatch(reason);
  });

  it('parses results: the twin on success, code and reason on failure; refuses one without event_id', () => {
    expect(parseResult({ event_id: 'a', timestamp: 1, twin: { Fan: { actual: { value: 'true' } } } })).toEqual({ ok: true, value: { eventId: 'a', twin: { Fan: { actual: { value: 'true' } } } } });
    expect(parseResult({ event_id: 'a', timestamp: 1, code: 404, reason: 'no device' })).toEqual({ ok: true, value: { eventId: 'a', error: { code: 404, reason: 'no device' } } });
    expect(parseResult({ timestamp: 1, twin: {} })).toEqual({ ok: false, field: 'event_id', reason: 'missing or not text' });
    expect(parseResult({ event_id: 'a', code: '400' })).toMatchObject({ ok: false, field: 'code' });
  });

  it('the desired state of a twin (twin/get): expected values, without gateway errors, deleted or empty ones', () => {
    expect(
      desiredOf({
        Fan: { expected: { value: 'true', metadata: { timestamp: 7 } }, actual: { value: 'true' } },
        Speed: { expected: { value: '' } },
        Old: { expected: { value: '1' }, metadata: { type: 'deleted' } },
        'gatewayErrors.Fan': { expected: { value: 'x' } },
        Temperature: { actual: { value: '21' } },
        Gone: null,
      }),
    ).toEqual({ Fan: { value: 'true', timestamp: 7 } });
  });
});

describe('KubeEdge twin settings', () => {
  const config = (extra: object) => KubeEdgeTwinSinkSchema.parse({ name: 'edge', type: 'kubeedge-twin', ...extra });

  it('defaults: edgecore broker on the node, namespace default, client id from the sink name and the host', () => {
    const settings = kubeEdgeTwinSettings(config({}));
    expect(settings).toMatchObject({ url: 'mqtt://127.0.0.1:1883', namespace: 'default', clientId: `gw-edge-${hostname()}` });
  });

  it('gateway device names become Kubernetes names; `names` overrides; names map back once known', () => {
    expect(defaultKubeName('Demo-Sensor-01')).toBe('demo-sensor-01');
    expect(defaultKubeName('Random_Boolean Device')).toBe('random-boolean-device');
    expect(defaultKubeName('__x__')).toBe('x');
    expect(defaultKubeName('Line..2 (hall)')).toBe('line.2-hall');
    expect(defaultKubeName('___')).toBe('');
    // As gw export kubeedge names the Device: each dot-separated part a valid label.
    expect(defaultKubeName('Pump_.2')).toBe('pump.2');
    const names = new KubeNames({ 'Pump A': 'pump-a' });
    expect(names.toKube('Pump A')).toBe('pump-a');
    expect(names.fromKube('demo-sensor-01')).toBeUndefined();
    names.learn(['Demo-Sensor-01']);
    expect(names.fromKube('demo-sensor-01')).toBe('Demo-Sensor-01');
    expect(names.problem('Demo-Sensor-01')).toBeUndefined();
    expect(names.problem('demo_sensor_01')).toMatch(/taken by device Demo-Sensor-01: give it another under names/);
    expect(names.problem('___')).toMatch(/is not a Kubernetes object name/);
  });

  it.each([
    [{ namespace: 'Plant_1' }, /namespace "Plant_1" is not a Kubernetes namespace/],
    [{ names: { A: 'Upper' } }, /names.A: "Upper" is not a Kubernetes object name/],
    [{ names: { A: 'x', B: 'x' } }, /"x" is given to two devices \(A and B\)/],
    [{ devices: '(' }, /devices "\(" is not a valid regular expression/],
  ])('refuses %j', (extra, problem) => {
    expect(() => kubeEdgeTwinSettings(config(extra))).toThrow(problem);
  });
});
