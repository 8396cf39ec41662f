/**
 * GW_LOG_FORMAT: one readable line per event on a terminal (or when asked),
 * JSON lines otherwise, so `docker logs` and log shippers keep their JSON.
 * Run in a child process of the built code: the format is the process's.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { requireFreshBuild } from '../support/fresh-build';

const ROOT = join(__dirname, '../..');

function logOnce(format: string): string {
  const script = `
    const { createLogger, setLogFormat } = require(${JSON.stringify(join(ROOT, 'dist/libs/service-kit/src/logger'))});
    setLogFormat(process.argv[1]);
    createLogger('core-data').warn({ device: 'Boiler-1' }, 'queue full');`;
  // stdout is a pipe here, as under docker or systemd: `auto` must mean JSON.
  return execFileSync(process.execPath, ['-e', script, format], { encoding: 'utf8' });
}

describe('GW_LOG_FORMAT', () => {
  beforeAll(() => requireFreshBuild('libs/service-kit/src'));

  it('writes JSON lines when stdout is not a terminal (auto) or when asked (json)', () => {
    for (const format of ['auto', 'json']) {
      const line = JSON.parse(logOnce(format).trim());
      expect(line).toMatchObject({ level: 'warn', service: 'core-data', device: 'Boiler-1', msg: 'queue full' });
    }
  });

  it('writes one readable line per event when asked (pretty): time, level, service, message and fields', () => {
    const out = logOnce('pretty');
    expect(out.trim().split('\n')).toHaveLength(1);
    expect(out).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: core-data: queue full \{"device":"Boiler-1"\}\s*$/);
  });
});
