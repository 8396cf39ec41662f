/**
 * A service as its own process, as docker compose runs it (the built output:
 * `npm test` builds first). A wrong setting must stop it with one line naming
 * the variable and exit code 78; SIGTERM must stop it cleanly with 0.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort, startMosquitto } from '../support/brokers';
import { pollUntil } from '../messaging/helpers';

const mainOf = (app: string) => join(__dirname, `../../dist/apps/${app}/src/main.js`);
const BROKER = process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883';

function run(env: Record<string, string>, app = 'metadata') {
  return spawn(process.execPath, [mainOf(app)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

function exitOf(child: ReturnType<typeof run>): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('a service as its own process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-standalone-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a wrong setting with a message naming the variable and exit code 78', async () => {
    const child = run({ GW_METADATA_PORT: 'abc', GW_MAX_BODY: 'lots' });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    expect(await exitOf(child)).toBe(78);
    expect(stderr).toMatch(/GW_METADATA_PORT: expected an integer 0-65535, got "abc"/);
    expect(stderr).toMatch(/GW_MAX_BODY/);
    expect(stderr).not.toMatch(/at loadConfig/); // one clear line, no stack trace
  });

  it('refuses a bus URL that is not one, naming the variable', async () => {
    const child = run({ GW_BUS_TYPE: 'mqtt', GW_BUS_URL: 'notaurl' });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    expect(await exitOf(child)).toBe(78);
    expect(stderr.trim()).toBe(
      'configuration error: invalid configuration: GW_BUS_URL: expected a URL (mqtt: mqtts: tcp: ssl: ws: wss: redis: rediss:), got "notaurl"',
    );
  });

  it('refuses a bus URL of the other bus type, naming both variables', async () => {
    const child = run({ GW_BUS_TYPE: 'redis', GW_BUS_URL: 'mqtt://127.0.0.1:1883' });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    expect(await exitOf(child)).toBe(78);
    expect(stderr).toMatch(/^configuration error: invalid configuration: GW_BUS_URL: GW_BUS_TYPE is redis: expected a URL starting redis:\/\/ rediss:\/\/, got "mqtt:\/\/127.0.0.1:1883"\n$/);
  });

  // The in-process bus reaches nobody outside the process: a service alone on it would serve REST while its events go nowhere.
  it.each(['metadata', 'core-data', 'core-command', 'device-service', 'app-service'])(
    '%s refuses the in-process bus (the default) with exit code 78',
    async (app) => {
      const child = run({ GW_BUS_TYPE: '' }, app);
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      expect(await exitOf(child)).toBe(78);
      expect(stderr).toMatch(/^configuration error: invalid configuration: GW_BUS_TYPE: memory \(the default\) only works inside the one-process gateway \(npm start\); .* set GW_BUS_TYPE=mqtt or redis/);
      expect(stderr.trim().split('\n')).toHaveLength(1);
    },
  );

  it.each([
    ['metadata', 'METADATA', 'core-metadata'],
    ['core-data', 'CORE_DATA', 'core-data'],
  ])('%s warns about a mistyped variable, then stops cleanly on SIGTERM once it is serving', async (app, prefix, serviceName) => {
    const child = run(
      {
        GW_BUS_TYPE: 'mqtt',
        GW_BUS_URL: BROKER,
        // A durable session of its own on the shared broker, on topics no other test publishes to.
        GW_CORE_DATA_DURABLE_NAME: 'gw-standalone-process-test',
        GW_TOPIC_BASE: 'gw-standalone-process-test',
        [`GW_${prefix}_PORT`]: '0',
        [`GW_${prefix}_PROT`]: '6001',
        GW_HOST: '127.0.0.1',
        [`GW_${prefix}_DATABASE`]: `sqlite:${join(dir, `${app}.db`)}`,
      },
      app,
    );
    const exited = exitOf(child);
    const lines = createInterface({ input: child.stdout });
    const warnings: string[] = [];
    const url = await new Promise<string>((resolve) =>
      lines.on('line', (line) => {
        const entry = JSON.parse(line);
        if (entry.level === 'warn' && entry.variable) warnings.push(entry.msg);
        if (entry.msg === 'listening') resolve(entry.url);
      }),
    );
    expect(warnings).toEqual([`GW_${prefix}_PROT is not a setting of ${serviceName}; did you mean GW_${prefix}_PORT?`]);
    expect((await fetch(url + '/api/v3/ping')).status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('waits for a broker that is not up yet, answering ping and a 503 /ready, then serves', async () => {
    const broker = await startMosquitto();
    await broker.stop(); // nobody listens on its port yet
    const port = await freePort();
    const child = run(
      {
        GW_BUS_TYPE: 'mqtt',
        GW_BUS_URL: broker.url,
        GW_CORE_COMMAND_PORT: String(port),
        GW_HOST: '127.0.0.1',
        GW_TOPIC_BASE: 'gw-standalone-process-test',
      },
      'core-command',
    );
    const exited = exitOf(child);
    try {
      const lines = createInterface({ input: child.stdout });
      const logged = (message: string) => new Promise<void>((resolve) => lines.on('line', (line) => JSON.parse(line).msg === message && resolve()));
      const listening = logged('listening');
      await pollUntil(async () => (await fetch(`http://127.0.0.1:${port}/api/v3/ping`).catch(() => undefined))?.status === 200, 'ping');
      const ready = await fetch(`http://127.0.0.1:${port}/api/v3/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ serviceName: 'core-command', checks: [{ name: 'message bus', ready: false }] });

      await broker.start();
      await listening;
      expect((await fetch(`http://127.0.0.1:${port}/api/v3/ready`)).status).toBe(200);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      await broker.dispose();
    }
  });

  it('stops cleanly on SIGTERM while still waiting for its broker', async () => {
    const broker = await startMosquitto();
    await broker.stop();
    const port = await freePort();
    const child = run({ GW_BUS_TYPE: 'mqtt', GW_BUS_URL: broker.url, GW_CORE_COMMAND_PORT: String(port), GW_HOST: '127.0.0.1' }, 'core-command');
    const exited = exitOf(child);
    try {
      await pollUntil(async () => (await fetch(`http://127.0.0.1:${port}/api/v3/ping`).catch(() => undefined))?.status === 200, 'ping');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      await broker.dispose();
    }
  });
});
