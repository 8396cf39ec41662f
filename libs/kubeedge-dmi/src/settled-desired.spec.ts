import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SettledDesired } from './settled-desired';

describe('the applied desired values kept across restarts', () => {
  let dir: string;
  const warn = jest.fn();
  const logger = { warn, info: jest.fn(), debug: jest.fn(), error: jest.fn() } as never;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gw-settled-'));
    warn.mockClear();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('comes back after a restart', async () => {
    const file = join(dir, 'kubeedge', 'device-virtual-desired.json');
    const first = await SettledDesired.open(file, logger);
    first.set('default/fan-1', 'Speed', { value: '42.5', timestamp: '1700000000000' });
    await first.flushed();
    expect((await SettledDesired.open(file, logger)).get('default/fan-1', 'Speed')).toEqual({ value: '42.5', timestamp: '1700000000000' });
  });

  it('keeps the well-formed entries of a damaged file, drops the rest with a warning, and can still record', async () => {
    const file = join(dir, 'desired.json');
    writeFileSync(
      file,
      '{"default/dev":"x","default/ok":{"Speed":{"value":"1"},"Bad":{"value":2},"Odd":{"value":"3","timestamp":4}},"__proto__":{"Speed":{"value":"9"}}}',
    );
    const settled = await SettledDesired.open(file, logger);
    expect(settled.get('default/ok', 'Speed')).toEqual({ value: '1' });
    expect(settled.get('default/ok', 'Bad')).toBeUndefined();
    expect(settled.get('default/ok', 'Odd')).toBeUndefined();
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ dropped: 3 }), expect.stringContaining('dropped'));
    expect(() => settled.set('default/dev', 'Speed', { value: '5' })).not.toThrow();
    expect(settled.get('default/dev', 'Speed')).toEqual({ value: '5' });
    expect(settled.get('__proto__', 'Speed')).toEqual({ value: '9' }); // a key like any other, not a prototype
    await settled.flushed();
  });

  it('starts afresh from a file that is not JSON', async () => {
    const file = join(dir, 'desired.json');
    writeFileSync(file, '{not json');
    const settled = await SettledDesired.open(file, logger);
    expect(settled.get('default/dev', 'Speed')).toBeUndefined();
    expect(warn).toHaveBeenCalledTimes(1);
  });
});
