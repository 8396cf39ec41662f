/**
 * `npm start` hosts the device services GW_DEVICE_SERVICES lists and loads
 * the protocol library of those only: run as the user runs it (the built
 * gateway as a child process), the modules it loaded are read at exit.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DRIVERS } from '@gw/drivers';
import { requireFreshBuild } from '../support/fresh-build';
import { testGatewayEnv } from '../support/gateway';

const ROOT = join(__dirname, '../..');
const MODBUS_DRIVER = /libs\/drivers\/modbus\/src\/modbus-driver\.js$/m;
const SERIAL_LIBRARIES = /node_modules\/(modbus-serial|serialport|@serialport)\//;
const OPCUA_DRIVER = /libs\/drivers\/opcua\/src\/opcua-driver\.js$/m;
const OPCUA_LIBRARIES = /node_modules\/node-opcua[^/]*\//;
/** gRPC and the KubeEdge mapper load only in mapper mode (GW_KUBEEDGE_MAPPER), which the gateway does not run. */
const KUBEEDGE_MAPPER = /libs\/kubeedge-dmi\/src\/mapper\.js$|node_modules\/@grpc\//m;

interface Run {
  /** Device services registered in core-metadata once the gateway was ready. */
  registered: string[];
  /** Every module file the process had loaded when it exited. */
  loaded: string;
}

async function runGateway(deviceServices: string): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-hosted-'));
  const loadedFile = join(dir, 'loaded.txt');
  const env = {
    ...process.env,
    ...testGatewayEnv(dir, { GW_LOG_LEVEL: 'info', GW_DEVICE_SERVICES: deviceServices, GW_TEST_LOADED_MODULES: loadedFile }),
  };
  const child = spawn(process.execPath, ['-r', join(__dirname, '../support/loaded-modules.js'), join(ROOT, 'dist/apps/gateway/src/main.js')], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    const ready = await new Promise<{ metadata: string }>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const entry = JSON.parse(line);
        if (entry.msg === 'gateway ready') resolve(entry);
      });
      void exited.then((code) => reject(new Error(`gateway exited with ${code} before it was ready`)));
    });
    const services = (await (await fetch(`${ready.metadata}/api/v3/deviceservice/all?limit=-1`)).json()) as { services: Array<{ name: string }> };
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    return { registered: services.services.map((s) => s.name).sort(), loaded: readFileSync(loadedFile, 'utf8') };
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the device services the gateway hosts', () => {
  beforeAll(() => requireFreshBuild('libs', 'apps'));

  it('GW_DEVICE_SERVICES=virtual registers only device-virtual and loads no Modbus, serial or OPC UA code', async () => {
    const run = await runGateway('virtual');
    expect(run.registered).toEqual(['device-virtual']);
    expect(run.loaded).not.toMatch(MODBUS_DRIVER);
    expect(run.loaded).not.toMatch(SERIAL_LIBRARIES);
    expect(run.loaded).not.toMatch(OPCUA_DRIVER);
    expect(run.loaded).not.toMatch(OPCUA_LIBRARIES);
    expect(run.loaded).toMatch(/libs\/drivers\/virtual\/src\/virtual-driver\.js$/m);
    // The OpenAPI documents are built on their first request only: no one asked, neither zod-to-openapi nor a route list loaded.
    expect(run.loaded).not.toMatch(/node_modules\/@asteasolutions\/zod-to-openapi\//);
    expect(run.loaded).not.toMatch(/\/src\/http\/openapi\.js$/m);
    expect(run.loaded).not.toMatch(KUBEEDGE_MAPPER);
  });

  it('by default hosts device-modbus and device-opcua too, loading their drivers, and their protocol libraries only for a first device', async () => {
    const run = await runGateway('');
    expect(run.registered).toEqual(DRIVERS.filter((d) => d.hostedByDefault).map((d) => d.serviceName).sort());
    expect(run.registered).toContain('device-modbus');
    expect(run.loaded).toMatch(MODBUS_DRIVER);
    expect(run.loaded).not.toMatch(SERIAL_LIBRARIES); // no Modbus device in the sample resources
    // device-opcua idles: its driver is made, node-opcua (~60-70 MB) loads only with a first OPC UA device.
    expect(run.registered).toContain('device-opcua');
    expect(run.loaded).toMatch(OPCUA_DRIVER);
    expect(run.loaded).not.toMatch(OPCUA_LIBRARIES);
  });
});
