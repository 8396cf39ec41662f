import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readUserFile } from './context';

describe('gw -f FILE', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gw-file-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the file with its name for messages', () => {
    writeFileSync(join(dir, 'meter.yaml'), 'deviceList: []\n');
    expect(readUserFile(join(dir, 'meter.yaml'))).toEqual({ name: 'meter.yaml', text: 'deviceList: []\n' });
  });

  it('refuses a missing file and one larger than the limit as usage errors (exit 2), reading no more than the limit', () => {
    expect(() => readUserFile(join(dir, 'nope.yaml'))).toThrow(`cannot read ${join(dir, 'nope.yaml')}: no such file`);
    writeFileSync(join(dir, 'big.yaml'), 'x'.repeat(2 * 1024 * 1024 + 1));
    expect(() => readUserFile(join(dir, 'big.yaml'), 2 * 1024 * 1024)).toThrow('larger than 2 MiB');
    expect(() => readUserFile('/dev/zero', 1024 * 1024)).toThrow('larger than 1 MiB'); // endless: stops at the limit
  });
});
