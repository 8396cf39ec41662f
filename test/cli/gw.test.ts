/**
 * The `gw` command line as a user runs it: the real binary (bin/gw.js → the
 * built dist/), a process of its own, against a running gateway on free ports
 * (MQTT bus on a private Mosquitto, an API key required), only through the
 * GW_* variables a user sets. Each case checks what the user sees: tables,
 * JSON that parses, the server's message and the exit code.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunningGateway, startGateway } from '../../apps/gateway/src/gateway';
import { BrokerProcess, freePort, startMosquitto } from '../support/brokers';
import { call, testGatewayConfig } from '../support/gateway';
import { quietLogger } from '../support/quiet-logger';
import { GW, gw, requireFreshCliBuild } from './run-gw';

const API_KEY = 'cli-test-key-0123456789';

describe('gw, the command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-cli-'));
  let broker: BrokerProcess;
  let gateway: RunningGateway;
  let env: Record<string, string>;

  beforeAll(async () => {
    requireFreshCliBuild();
    broker = await startMosquitto();
    const config = testGatewayConfig(join(dir, 'data'), { GW_BUS_TYPE: 'mqtt', GW_BUS_URL: broker.url, GW_API_KEY: API_KEY });
    gateway = await startGateway(config, quietLogger('gateway'));
    writeFileSync(join(dir, 'api-key'), API_KEY + '\n');
    env = {
      GW_METADATA_URL: gateway.metadata.url,
      GW_CORE_COMMAND_URL: gateway.coreCommand.url,
      GW_CORE_DATA_URL: gateway.coreData.url,
      GW_APP_SERVICE_URL: gateway.appService!.url,
      // The file form, as docker secrets give it.
      GW_API_KEY_FILE: join(dir, 'api-key'),
    };
  });

  afterAll(async () => {
    await gateway?.close();
    await broker?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists devices as a table, and as JSON with --json', async () => {
    const table = await gw(['device', 'list'], env);
    expect(table).toMatchObject({ code: 0, stderr: '' });
    const [header, ...rows] = table.stdout.trimEnd().split('\n');
    expect(header.split(/\s{2,}/)).toEqual(['NAME', 'PROFILE', 'SERVICE', 'ADMIN', 'OPERATING', 'LABELS']);
    expect(rows.map((r) => r.split(/\s{2,}/))).toContainEqual(['Demo-Sensor-01', 'Demo-Sensor', 'device-virtual', 'UNLOCKED', 'UP', 'demo,hall-1']);

    const json = await gw(['device', 'list', '--json'], env);
    expect(json.code).toBe(0);
    const devices = JSON.parse(json.stdout);
    expect(devices.map((d: { name: string }) => d.name)).toEqual(expect.arrayContaining(['Demo-Sensor-01', 'Virtual-Integers-01']));
  });

  it("shows one device with its protocol and the commands of its profile", async () => {
    const shown = await gw(['device', 'show', 'Demo-Sensor-01'], env);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^profile:\s+Demo-Sensor$/m);
    expect(shown.stdout).toMatch(/^Address\s+simulated-01$/m);
    expect(shown.stdout).toMatch(/^Fan\s+yes\s+yes\s+Fan$/m);
    expect(shown.stdout).toMatch(/^Climate\s+yes\s+no\s+Temperature, Humidity$/m);

    const missing = await gw(['device', 'show', 'No-Such-Device'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^gw: .*No-Such-Device.* \(404 from GET http:\/\/.*\/api\/v3\/device\/name\/No-Such-Device\)\n$/);
  });

  it('adds the devices of a YAML device file, and reports a refused one with the server\'s message', async () => {
    const file = join(dir, 'more-sensors.yaml');
    writeFileSync(
      file,
      ['deviceList:', '  - name: Cli-Sensor-01', '    profileName: Demo-Sensor', '    serviceName: device-virtual', '    protocols:', '      other: { Address: cli-01 }', ''].join('\n'),
    );
    const added = await gw(['device', 'add', '-f', file], env);
    expect(added).toMatchObject({ code: 0, stdout: 'added Cli-Sensor-01\n' });
    expect((await call('GET', `${gateway.metadata.url}/api/v3/device/name/Cli-Sensor-01`, undefined, API_KEY)).body.device).toMatchObject({
      profileName: 'Demo-Sensor',
      protocols: { other: { Address: 'cli-01' } },
    });

    const again = await gw(['device', 'add', '-f', file], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^gw: Cli-Sensor-01: .*exist.* \(409\)\n$/i);

    const removed = await gw(['device', 'rm', 'Cli-Sensor-01'], env);
    expect(removed).toMatchObject({ code: 0, stdout: 'deleted Cli-Sensor-01\n' });
    expect((await call('GET', `${gateway.metadata.url}/api/v3/device/name/Cli-Sensor-01`, undefined, API_KEY)).status).toBe(404);
  });

  it('refuses a device file with a mistake before sending it, naming file and line (exit 2)', async () => {
    const file = join(dir, 'typo.yaml');
    writeFileSync(file, ['deviceList:', '  - name: Typo-01', '    profileName: Demo-Sensor', '    adminState: OPEN', ''].join('\n'));
    const refused = await gw(['device', 'add', '-f', file], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^gw: typo\.yaml:4: deviceList\[0\]\.adminState: /);
  });

  it('writes a command and reads the written value back', async () => {
    for (const value of ['true', 'false']) {
      const set = await gw(['set', 'Demo-Sensor-01', 'Fan', `Fan=${value}`], env);
      expect(set).toMatchObject({ code: 0, stdout: `set Demo-Sensor-01 Fan: Fan=${value}\n` });
      const read = await gw(['read', 'Demo-Sensor-01', 'Fan', '--json'], env);
      expect(read.code).toBe(0);
      expect(JSON.parse(read.stdout)).toMatchObject({ deviceName: 'Demo-Sensor-01', readings: [{ resourceName: 'Fan', valueType: 'Bool', value }] });
    }
    const table = await gw(['read', 'Demo-Sensor-01', 'Fan'], env);
    expect(table.stdout.split('\n')[1]).toMatch(/^Fan\s+false\s+Bool\s+-\s+\d{4}-\d\d-\d\dT/);
  });

  it('locks a device: a write is refused with 423 and a non-zero exit, and works again once unlocked', async () => {
    expect(await gw(['device', 'lock', 'Demo-Sensor-01'], env)).toMatchObject({ code: 0, stdout: 'Demo-Sensor-01 locked\n' });
    const refused = await gw(['set', 'Demo-Sensor-01', 'Fan', 'Fan=true'], env);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/^gw: .*Demo-Sensor-01.*locked.* \(423 from PUT http:\/\/.*\/api\/v3\/device\/name\/Demo-Sensor-01\/Fan\)\n$/i);

    expect(await gw(['device', 'unlock', 'Demo-Sensor-01'], env)).toMatchObject({ code: 0, stdout: 'Demo-Sensor-01 unlocked\n' });
    expect((await gw(['set', 'Demo-Sensor-01', 'Fan', 'Fan=true'], env)).code).toBe(0);
  });

  it('refuses a value that is not resource=value without calling anyone (exit 2)', async () => {
    const refused = await gw(['set', 'Demo-Sensor-01', 'Fan', 'true'], env);
    expect(refused).toMatchObject({ code: 2, stderr: 'gw: "true" is not resource=value (e.g. Fan=true)\n' });
  });

  it("uploads a profile; a broken one exits 1 with metadata's message naming file and line", async () => {
    const good = join(dir, 'Cli-Profile.yaml');
    writeFileSync(
      good,
      ['name: Cli-Profile', 'manufacturer: Acme', 'deviceResources:', '  - name: Level', '    properties: { valueType: Float32, readWrite: R, units: m }', ''].join('\n'),
    );
    const uploaded = await gw(['profile', 'upload', good], env);
    expect(uploaded.code).toBe(0);
    expect(uploaded.stdout).toMatch(/^uploaded Cli-Profile\.yaml \(id [0-9a-f-]+\)\n$/);
    const listed = await gw(['profile', 'list'], env);
    expect(listed.stdout).toMatch(/^Cli-Profile\s+Acme\s+-\s+1\s+0$/m);

    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, ['name: Broken-Profile', 'deviceResources:', '  - name: Level', '    properties: { valueType: Float99, readWrite: R }', ''].join('\n'));
    const refused = await gw(['profile', 'upload', broken], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^gw: broken\.yaml:4: deviceResources\[0\]\.properties\.valueType: .* \(400 from POST http:\/\/.*\/api\/v3\/deviceprofile\/uploadfile\)\n$/);

    expect(await gw(['profile', 'rm', 'Cli-Profile'], env)).toMatchObject({ code: 0, stdout: 'deleted Cli-Profile\n' });
    expect((await gw(['profile', 'list', '--json'], env)).stdout).not.toMatch(/Cli-Profile/);
  });

  it('adds, lists and removes a provision watcher', async () => {
    const file = join(dir, 'watcher.yaml');
    writeFileSync(
      file,
      ['name: Cli-Watcher', 'serviceName: device-virtual', 'identifiers: { Address: "cli-.*" }', 'discoveredDevice:', '  profileName: Demo-Sensor', ''].join('\n'),
    );
    expect(await gw(['watcher', 'add', '-f', file], env)).toMatchObject({ code: 0, stdout: 'added Cli-Watcher\n' });
    const listed = await gw(['watcher', 'list'], env);
    expect(listed.stdout).toMatch(/^Cli-Watcher\s+device-virtual\s+Demo-Sensor\s+UNLOCKED\s+Address=cli-\.\*$/m);
    expect(await gw(['watcher', 'rm', 'Cli-Watcher'], env)).toMatchObject({ code: 0, stdout: 'deleted Cli-Watcher\n' });
    expect(JSON.parse((await gw(['watcher', 'list', '--json'], env)).stdout)).toEqual([]);
  });

  it("shows the app service's routes as it reports them", async () => {
    const { body } = await call('GET', `${gateway.appService!.url}/api/v3/exports`, undefined, API_KEY);
    const status = await gw(['export', 'status'], env);
    expect(status.code).toBe(0);
    for (const route of body.routes) expect(status.stdout).toMatch(new RegExp(`^${route.route.replace('.', '\\.')}\\s+${route.sinkType}\\s+(yes|no)\\s+\\d+`, 'm'));
    const json = JSON.parse((await gw(['export', 'status', '--json'], env)).stdout);
    expect(json.routes.map((r: { route: string }) => r.route).sort()).toEqual(body.routes.map((r: { route: string }) => r.route).sort());
  });

  /** Two readings of Demo-Sensor-01 published after `started`, as `gw readings tail` printed them. */
  function expectLiveReadings(stdout: string, started: number): void {
    const lines = stdout.trimEnd().split('\n').map((l) => l.split(/\s{2,}/));
    expect(lines).toHaveLength(2);
    for (const [time, device, resource, value] of lines) {
      expect(Date.parse(time)).toBeGreaterThanOrEqual(started - 1000);
      expect(device).toBe('Demo-Sensor-01');
      expect(['Temperature', 'Humidity']).toContain(resource);
      expect(Number.isFinite(Number(value))).toBe(true);
    }
  }

  it("follows live readings from the console's event stream (no broker configured)", async () => {
    const started = Date.now();
    const tail = await gw(['readings', 'tail', '--device', 'Demo-Sensor-01', '--count', '2'], { ...env, GW_CONSOLE_URL: gateway.console!.url });
    expect(tail).toMatchObject({ code: 0, stderr: '' });
    expectLiveReadings(tail.stdout, started);
  });

  it('follows live readings from the broker itself when GW_BUS_TYPE and GW_BUS_URL are set', async () => {
    const started = Date.now();
    const busEnv = { ...env, GW_BUS_TYPE: 'mqtt', GW_BUS_URL: broker.url, GW_CONSOLE_URL: `http://127.0.0.1:${await freePort()}` };
    const tail = await gw(['readings', 'tail', '--device', 'Demo-Sensor-01', '--count', '2'], busEnv);
    expect(tail).toMatchObject({ code: 0, stderr: '' });
    expectLiveReadings(tail.stdout, started);

    const json = await gw(['readings', 'tail', '--count', '1', '--json'], busEnv);
    expect(JSON.parse(json.stdout.split('\n')[0])).toMatchObject({ deviceName: expect.any(String), readings: expect.any(Array) });
  });

  it('ends quietly with 0 when its reader goes away (gw readings tail | head -1)', async () => {
    const child = spawn(GW, ['readings', 'tail'], { env: { PATH: process.env.PATH ?? '', ...env, GW_CONSOLE_URL: gateway.console!.url } });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise((resolve) => child.stdout.once('data', resolve));
    child.stdout.destroy();
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
  });

  it('says where the live stream should be when the console does not answer (exit 3)', async () => {
    const port = await freePort();
    const refused = await gw(['readings', 'tail'], { ...env, GW_CONSOLE_URL: `http://127.0.0.1:${port}` });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(new RegExp(`^gw: cannot reach the console at http://127.0.0.1:${port} \\(connection refused\\): .*GW_CONSOLE_URL.*GW_BUS_TYPE`));
  });

  it("passes the server's 401 on without the API key", async () => {
    const { GW_API_KEY_FILE: _key, ...withoutKey } = env;
    const refused = await gw(['device', 'list'], withoutKey);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^gw: missing API key.* \(401 from GET http:\/\/.*\)\n$/);
  });

  it('names the address it cannot reach in one line, exit 3', async () => {
    const port = await freePort();
    const refused = await gw(['device', 'list'], { ...env, GW_METADATA_URL: `http://127.0.0.1:${port}` });
    expect(refused).toMatchObject({
      code: 3,
      stdout: '',
      stderr: `gw: cannot reach core-metadata at http://127.0.0.1:${port} (connection refused): is the gateway running? (GW_METADATA_URL sets the address)\n`,
    });
  });

  it('names a wrong variable with exit 78', async () => {
    const refused = await gw(['device', 'list'], { ...env, GW_METADATA_URL: 'localhost:59881' });
    expect(refused.code).toBe(78);
    expect(refused.stderr).toMatch(/^gw: configuration error: .*GW_METADATA_URL: expected a URL/);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('answers without loading Nest, TypeORM, a bus client or a driver', async () => {
    const loaded = join(dir, 'loaded-modules.txt');
    await new Promise<void>((resolve, reject) =>
      execFile(process.execPath, ['-r', join(__dirname, '../support/loaded-modules.js'), GW, 'device', 'list'], { env: { ...env, GW_TEST_LOADED_MODULES: loaded } }, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
    const modules = readFileSync(loaded, 'utf8').split('\n');
    expect(modules).toContainEqual(expect.stringMatching(/dist\/apps\/cli\/src\/main\.js$/));
    const heavy = /node_modules\/(@nestjs|fastify|typeorm|pg|better-sqlite3|mqtt|redis|pino|modbus-serial|node-opcua[^/]*|zigbee-herdsman[^/]*|@abandonware)\/|dist\/libs\/(drivers|device-sdk|persistence\/src\/data-source|messaging|kubeedge-dmi)\/|dist\/apps\/cli\/src\/kubeedge\//;
    expect(modules.filter((m) => heavy.test(m))).toEqual([]);
  });

  it('refuses an unknown command with exit 2', async () => {
    const refused = await gw(['device', 'explode'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/unknown command 'explode'/);
  });
});
