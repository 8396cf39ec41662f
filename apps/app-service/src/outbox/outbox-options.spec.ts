import { OutboxSchema } from '../sinks/sink-config';
import { OUTBOX_DEFAULTS, resolveOutboxOptions } from './outbox-options';

describe('resolveOutboxOptions', () => {
  it('applies the documented defaults: 1,000,000 records, 1 GiB, 7 days, drop-oldest, retries 1s..5m', () => {
    expect(resolveOutboxOptions()).toEqual({
      maxRecords: 1_000_000,
      maxBytes: 1024 ** 3,
      maxAgeMs: 7 * 86_400_000,
      whenFull: 'drop-oldest',
      retryMinMs: 1000,
      retryMaxMs: 300_000,
    });
    expect(resolveOutboxOptions({})).toEqual(OUTBOX_DEFAULTS);
  });

  it('reads sizes and durations as written in the pipelines file', () => {
    const config = OutboxSchema.parse({
      maxRecords: 5000,
      maxBytes: '512mb',
      maxAge: '1d12h',
      whenFull: 'drop-newest',
      retryMin: '500ms',
      retryMax: '2m',
    });
    expect(resolveOutboxOptions(config)).toEqual({
      maxRecords: 5000,
      maxBytes: 512 * 1024 ** 2,
      maxAgeMs: 36 * 3_600_000,
      whenFull: 'drop-newest',
      retryMinMs: 500,
      retryMaxMs: 120_000,
    });
    expect(resolveOutboxOptions({ maxBytes: 4096, maxAge: '7d', retryMin: 250 })).toMatchObject({
      maxBytes: 4096,
      maxAgeMs: 7 * 86_400_000,
      retryMinMs: 250,
    });
  });

  it.each([
    [{ maxBytes: 'lots' }, /^sinks\.http1\.outbox\.maxBytes: expected a size such as 512kb, 4mb or 1048576, got "lots"$/],
    [{ maxBytes: 0 }, /outbox\.maxBytes/],
    [{ maxAge: '7 days' }, /^sinks\.http1\.outbox\.maxAge: expected a duration such as 30s, 5m, 12h or 7d, got "7 days"$/],
    [{ maxAge: '0s' }, /outbox\.maxAge/],
    [{ retryMin: -1 }, /outbox\.retryMin: expected a positive duration, got -1/],
    [{ retryMin: '10m' }, /outbox\.retryMax \(300000ms\) must not be shorter than sinks\.http1\.outbox\.retryMin \(600000ms\)/],
    [{ maxRecords: 1.5 }, /outbox\.maxRecords: expected a positive integer, got 1\.5/],
  ])('refuses %j with an error naming the field', (config, message) => {
    expect(() => resolveOutboxOptions(config, 'sinks.http1.outbox')).toThrow(message);
  });
});
