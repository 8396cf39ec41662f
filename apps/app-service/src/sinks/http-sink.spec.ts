import { dispositionOf, jsonArray, retryAfterSeconds } from './http-sink';
import { timeoutMs } from './http-sink-settings';
import type { OutboxRecord } from './sink';

describe('dispositionOf', () => {
  it.each([200, 201, 202, 204])('accepts %i', (status) => expect(dispositionOf(status)).toBe('ok'));
  it.each([400, 413, 422])('rejects %i: the records themselves are refused', (status) => expect(dispositionOf(status)).toBe('reject'));
  it.each([301, 401, 403, 404, 405, 408, 429, 500, 502, 503, 504])('retries %i: outage, throttling or configuration', (status) =>
    expect(dispositionOf(status)).toBe('retry'),
  );
});

describe('retryAfterSeconds', () => {
  it('reads seconds and HTTP dates, ignores garbage', () => {
    const now = Date.parse('2024-05-01T12:00:00Z');
    expect(retryAfterSeconds('30', now)).toBe(30);
    expect(retryAfterSeconds('Wed, 01 May 2024 12:01:00 GMT', now)).toBe(60);
    expect(retryAfterSeconds('Wed, 01 May 2024 11:00:00 GMT', now)).toBe(0);
    expect(retryAfterSeconds('soon', now)).toBeUndefined();
    expect(retryAfterSeconds(undefined, now)).toBeUndefined();
  });
});

describe('timeoutMs', () => {
  it('takes a duration or milliseconds, defaulting to 10 s', () => {
    expect(timeoutMs(undefined)).toBe(10_000);
    expect(timeoutMs('2s')).toBe(2_000);
    expect(timeoutMs(250)).toBe(250);
    expect(() => timeoutMs('soon')).toThrow('not a duration');
    expect(() => timeoutMs(0)).toThrow('positive');
  });
});

describe('jsonArray', () => {
  it('joins the stored documents byte for byte into one JSON array', () => {
    const docs = ['{"a":1}', '{"b":"é,]"}', '[2]'];
    const records: OutboxRecord[] = docs.map((d, i) => ({ id: i, key: '', kind: 'telemetry', body: Buffer.from(d), createdAt: 0, attempts: 0 }));
    const text = jsonArray(records).toString();
    expect(text).toBe(`[${docs.join(',')}]`);
    expect(JSON.parse(text)).toEqual([{ a: 1 }, { b: 'é,]' }, [2]]);
    expect(jsonArray([]).toString()).toBe('[]');
  });
});
