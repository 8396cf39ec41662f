/**
 * `npm start` with GW_DEVICE_SERVICES=ble hosts device-ble on a machine
 * without Bluetooth (this one): the gateway starts, device-ble registers,
 * its adapter route says why there is no adapter; without ble in the list
 * noble is never loaded. Run as the user runs it: the built gateway as a
 * child process, the modules it loaded read at exit.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { requireFreshBuild } from '../support/fresh-build';
import { testGatewayEnv } from '../support/gateway';

const ROOT = join(__dirname, '../..');
const NOBLE = /node_modules\/@abandonware\/(noble|bluetooth-hci-socket)\//;
const BLE_DRIVER = /libs\/drivers\/ble\/src\/ble-driver\.js$/m;

interface Run {
  registered: string[];
  loaded: string;
  adapter?: Record<string, unknown>;
}

async function runGateway(deviceServices: string): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-ble-'));
  const loadedFile = join(dir, 'loaded.txt');
  const env = { ...process.env, ...testGatewayEnv(dir, { GW_LOG_LEVEL: 'info', GW_DEVICE_SERVICES: deviceServices, GW_TEST_LOADED_MODULES: loadedFile }) };
  const child = spawn(process.execPath, ['-r', join(__dirname, '../support/loaded-modules.js'), join(ROOT, 'dist/apps/gateway/src/main.js')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    const ready = await new Promise<Record<string, string>>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const entry = JSON.parse(line);
        if (entry.msg === 'gateway ready') resolve(entry);
      });
      void exited.then((code) => reject(new Error(`gateway exited with ${code} before it was ready`)));
    });
    const services = (await (await fetch(`${ready.metadata}/api/v3/deviceservice/all?limit=-1`)).json()) as { services: Array<{ name: string }> };
    const run: Run = { registered: services.services.map((s) => s.name).sort(), loaded: '' };
    if (ready['device-ble']) run.adapter = (await (await fetch(`${ready['device-ble']}/api/v3/ble/adapter`)).json()) as Record<string, unknown>;
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    run.loaded = readFileSync(loadedFile, 'utf8');
    return run;
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('device-ble in the one-process gateway', () => {
  beforeAll(() => requireFreshBuild('libs', 'apps'));
  jest.setTimeout(60_000);

  it('GW_DEVICE_SERVICES=virtual,ble hosts device-ble without Bluetooth: it registers and reports the adapter unavailable', async () => {
    const run = await runGateway('virtual,ble');
    expect(run.registered).toEqual(['device-ble', 'device-virtual']);
    expect(run.loaded).toMatch(BLE_DRIVER);
    expect(run.loaded).toMatch(NOBLE);
    expect(run.adapter).toMatchObject({ statusCode: 200, adapter: 'hci0', powered: false });
    expect(String(run.adapter!.state)).toMatch(/^unavailable: EAFNOSUPPORT/);
  });

  it('by default (GW_DEVICE_SERVICES unset) does not host device-ble and never loads noble', async () => {
    const run = await runGateway('');
    expect(run.registered).toContain('device-virtual');
    expect(run.registered).not.toContain('device-ble');
    expect(run.loaded).not.toMatch(BLE_DRIVER);
    expect(run.loaded).not.toMatch(NOBLE);
  });
});
