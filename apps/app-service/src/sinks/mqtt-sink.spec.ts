import { leadingDelivered, MqttSink, toMessages } from './mqtt-sink';
import { renderTopic } from './mqtt-sink-settings';
import type { OutboxRecord } from './sink';
import { MqttSinkSchema } from './sink-config';

const record = (id: number, key: string, kind: OutboxRecord['kind'] = 'telemetry'): OutboxRecord => ({
  id,
  key,
  kind,
  body: Buffer.from(JSON.stringify({ id })),
  createdAt: 0,
  attempts: 0,
});

describe('renderTopic', () => {
  it('replaces {device} and {kind}, every occurrence', () => {
    expect(renderTopic('plant1/{device}/{kind}', record(1, 'pump-7', 'reported'))).toBe('plant1/pump-7/reported');
    expect(renderTopic('{device}/{device}', record(1, 'a'))).toBe('a/a');
  });

  it('uses "all" for records about no single device', () => {
    expect(renderTopic('plant1/{device}', record(1, ''))).toBe('plant1/all');
  });

  it('keeps a device name from adding levels or wildcards', () => {
    expect(renderTopic('p/{device}/t', record(1, 'a/b+c#'))).toBe('p/a_b_c_/t');
  });
});

describe('toMessages', () => {
  const records = [record(1, 'a'), record(2, 'b'), record(3, 'a')];

  it('unbatched: one message per record, in order', () => {
    const messages = toMessages(records, 'x/{device}', false);
    expect(messages.map((m) => [m.topic, JSON.parse(m.payload.toString())])).toEqual([
      ['x/a', { id: 1 }],
      ['x/b', { id: 2 }],
      ['x/a', { id: 3 }],
    ]);
  });

  it('batched: one JSON array per topic, topics in order of first appearance', () => {
    const messages = toMessages(records, 'x/{device}', true);
    expect(messages.map((m) => [m.topic, JSON.parse(m.payload.toString())])).toEqual([
      ['x/a', [{ id: 1 }, { id: 3 }]],
      ['x/b', [{ id: 2 }]],
    ]);
  });
});

describe('leadingDelivered', () => {
  const records = [record(1, 'a'), record(2, 'b'), record(3, 'a'), record(4, 'c')];

  it('unbatched: the records before the first unacknowledged message', () => {
    const messages = toMessages(records, 'x/{device}', false);
    expect(leadingDelivered(records, messages, [true, true, false, true])).toBe(2);
    expect(leadingDelivered(records, messages, [false, true, true, true])).toBe(0);
    expect(leadingDelivered(records, messages, [true, true, true, true])).toBe(4);
  });

  it('batched: a record counts once the message of its topic is acknowledged', () => {
    // x/a holds records 1 and 3, x/b record 2, x/c record 4.
    const messages = toMessages(records, 'x/{device}', true);
    expect(leadingDelivered(records, messages, [true, false, true])).toBe(1);
    expect(leadingDelivered(records, messages, [true, true, false])).toBe(3);
    expect(leadingDelivered(records, messages, [false, true, true])).toBe(0);
  });
});

describe('MqttSink', () => {
  it('refuses a topic template with wildcards at construction', () => {
    const config = MqttSinkSchema.parse({ name: 's', type: 'mqtt', url: 'mqtt://127.0.0.1:1', topic: 'plant/+/{device}' });
    expect(() => new MqttSink(config)).toThrow('wildcards');
  });
});
