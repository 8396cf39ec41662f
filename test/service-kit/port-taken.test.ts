/**
 * A service or simulator started on a port something else holds says so in
 * one line, naming the address, and exits 1: no stack trace to read through.
 */
import { execFile } from 'node:child_process';
import { createServer, Server } from 'node:net';
import { join } from 'node:path';
import { requireFreshBuild } from '../support/fresh-build';

const ROOT = join(__dirname, '../..');

describe('a port already in use', () => {
  let holder: Server;
  let port: number;

  beforeAll(async () => {
    requireFreshBuild('apps/modbus-sim/src', 'libs/service-kit/src');
    holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    port = (holder.address() as { port: number }).port;
  });

  afterAll(() => new Promise<void>((resolve) => holder.close(() => resolve())));

  it('is one line naming the address, exit code 1 (a second npm run modbus-sim)', async () => {
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, [join(ROOT, 'dist/apps/modbus-sim/src/main.js')], {
        env: { ...process.env, GW_MODBUS_SIM_PORT: String(port), GW_MODBUS_SIM_HOST: '127.0.0.1' },
      }, (_err, _stdout, err) => resolve({ code: child.exitCode, stderr: err }));
    });
    expect(code).toBe(1);
    expect(stderr).toBe(`startup failed: 127.0.0.1:${port} is already in use (another instance running?); choose another port with its _PORT variable\n`);
  });
});
