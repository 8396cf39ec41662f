/**
 * The web console in a real browser (Debian's headless Chromium driven by
 * playwright-core) against the one-process gateway on free ports, with an API
 * key set, as a user meets it: sign in, the devices as links, a device's
 * readings updating live from the bus, a command's Set, a profile upload
 * refused with the server's file:line message. The last test leaves a
 * screenshot of a device page (README's docs/console.png, refreshed with GW_UPDATE_SCREENSHOTS=1).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { Topics } from '@gw/contracts';
import { newEnvelope } from '@gw/messaging';
import { RunningGateway, startGateway } from '../../apps/gateway/src/gateway';
import { freePort } from '../support/brokers';
import { testGatewayConfig } from '../support/gateway';
import { quietLogger } from '../support/quiet-logger';


const ROOT = join(__dirname, '../..');
const CHROMIUM = process.env.GW_TEST_CHROMIUM ?? '/usr/bin/chromium';
const KEY = 'console-test-key-3f9a';
/** A device of our own without autoEvents: only the events this test publishes reach its page. */
const QUIET = 'Console-Test-01';
/** A Modbus meter at a port nobody listens on: its connection shows on the Services page, refused. */
const METER = 'Console-Meter-01';

describe('web console in a browser', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-console-'));
  let gateway: RunningGateway;
  let browser: Browser;
  let url: string;
  let deadPort: number;

  const rest = async (method: string, target: string, body?: unknown) => {
    const res = await fetch(target, {
      method,
      headers: { 'x-api-key': KEY, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  /** A new tab, signed in with the key as a user types it. */
  const signedIn = async (path: string): Promise<Page> => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await page.goto(url + '/');
    await page.getByLabel('API key').fill(KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Devices', level: 1 }).waitFor();
    await page.goto(url + path);
    return page;
  };

  beforeAll(async () => {
    // In its own process: Jest's CommonJS runtime cannot import() Vite, and a skipped build would test a stale bundle.
    const build = spawnSync(process.execPath, [join(ROOT, 'bin/build-console.js')], { encoding: 'utf8' });
    if (build.status !== 0 || /not built/.test(build.stderr) || !existsSync(join(ROOT, 'dist/console/index.html'))) throw new Error(`console build: ${build.stderr}`);
    deadPort = await freePort();
    [gateway, browser] = await Promise.all([
      startGateway(
        testGatewayConfig(dataDir, { GW_DEVICE_SERVICES: 'virtual,modbus', GW_APP_SERVICE: 'false', GW_API_KEY: KEY }),
        quietLogger('gateway'),
      ),
      chromium.launch({ executablePath: CHROMIUM }),
    ]);
    url = gateway.console!.url;
    const added = await rest('POST', `${gateway.metadata.url}/api/v3/device`, [
      {
        apiVersion: 'v3',
        device: {
          name: QUIET,
          profileName: 'Virtual-Floats',
          serviceName: 'device-virtual',
          adminState: 'UNLOCKED',
          operatingState: 'UP',
          protocols: { other: { Address: 'console-test' } },
        },
      },
      {
        apiVersion: 'v3',
        device: {
          name: METER,
          profileName: 'Energy-Meter-Modbus',
          serviceName: 'device-modbus',
          adminState: 'UNLOCKED',
          operatingState: 'UP',
          protocols: { 'modbus-tcp': { Address: '127.0.0.1', Port: String(deadPort), UnitID: '7', Timeout: '300ms' } },
        },
      },
    ]);
    expect(added.body.map((b: { statusCode: number }) => b.statusCode)).toEqual([201, 201]);
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('asks for the API key: a wrong key is refused, the right one opens the console; the key is in no page', async () => {
    const page = await browser.newPage();
    const requests: Array<{ url: string; key?: string }> = [];
    page.on('request', (request) => requests.push({ url: request.url(), key: request.headers()['x-api-key'] }));
    await page.goto(url + '/');
    await page.getByRole('heading', { name: 'Edge gateway console' }).waitFor();
    expect(await page.getByRole('link', { name: 'Virtual-Floats-01' }).count()).toBe(0);

    await page.getByLabel('API key').fill('not-the-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expectText(page.getByRole('alert'), /not accepted/);

    await page.getByLabel('API key').fill(KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Virtual-Floats-01' }).waitFor();

    // The APIs behind the console refuse a request without the key.
    expect((await fetch(`${url}/api/metadata/device/all`)).status).toBe(401);
    expect((await fetch(`${url}/api/console/events`)).status).toBe(401);
    // Signed in, the key travels in a header only: in no URL the page asked for, not in the page, not in a cookie or localStorage.
    const apiCalls = requests.filter((r) => r.url.startsWith(`${url}/api/`));
    expect(apiCalls.map((r) => r.url)).toEqual(expect.arrayContaining([`${url}/api/metadata/device/all?limit=1000`, `${url}/api/console/events`]));
    expect(apiCalls.filter((r) => r.key === KEY).map((r) => r.url)).toEqual(expect.arrayContaining([`${url}/api/metadata/device/all?limit=1000`, `${url}/api/console/events`]));
    expect(requests.filter((r) => r.url.includes(KEY))).toEqual([]);
    expect(await page.content()).not.toContain(KEY);
    expect(await page.evaluate(() => (globalThis as any).document.cookie + JSON.stringify({ ...(globalThis as any).localStorage }))).not.toContain(KEY);
    // Another site's page cannot make a signed-in browser change anything, even with the key.
    const forged = await fetch(`${url}/api/console/devicefile?name=x.yaml`, { method: 'POST', headers: { origin: 'http://attacker.example', 'x-api-key': KEY }, body: 'deviceList: []' });
    expect(forged.status).toBe(403);
    await page.close();
  });

  it('lists every device as a link named by the device, with its states, profile and service', async () => {
    const page = await signedIn('/#/devices');
    const known: string[] = (await rest('GET', `${gateway.metadata.url}/api/v3/device/all?limit=100`)).body.devices.map((d: { name: string }) => d.name);
    expect(known).toEqual(expect.arrayContaining(['Virtual-Floats-01', QUIET]));
    for (const name of known) await page.getByRole('link', { name, exact: true }).waitFor();
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'Virtual-Floats-01', exact: true }) });
    await expectText(row, /UNLOCKED.*UP.*Virtual-Floats.*device-virtual/s);

    await page.getByRole('link', { name: 'Virtual-Floats-01', exact: true }).click();
    await page.getByRole('heading', { name: 'Virtual-Floats-01', level: 1 }).waitFor();
    await page.close();
  });

  it('shows a reading published on the bus in the readings table without reloading the page', async () => {
    const page = await signedIn(`/#/devices/${QUIET}`);
    await expectText(page.getByRole('status').filter({ hasText: /^Live$/ }), 'Live');
    await page.evaluate(() => ((globalThis as any).marker = 42));
    const origin = Date.now() * 1e6;
    const topic = new Topics().deviceEvent('device-virtual', 'Virtual-Floats', QUIET, 'Climate');
    await gateway.bus.publish(
      topic,
      newEnvelope({
        apiVersion: 'v3',
        requestId: '',
        event: {
          apiVersion: 'v3',
          id: '6b1f0d52-8a4e-4c53-9a57-3a4d0c1e2f01',
          deviceName: QUIET,
          profileName: 'Virtual-Floats',
          sourceName: 'Climate',
          origin,
          readings: [
            { id: '6b1f0d52-8a4e-4c53-9a57-3a4d0c1e2f02', deviceName: QUIET, profileName: 'Virtual-Floats', resourceName: 'Temperature', origin, valueType: 'Float32', units: 'degC', value: '2.375e+01' },
          ],
        },
      }),
    );
    const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'Temperature', exact: true }) });
    await expectText(row, /23\.75\s*degC/);
    expect(await page.evaluate(() => (globalThis as any).marker)).toBe(42);
    await page.close();
  });

  it('sets a writable command from its form; a value the profile refuses shows the server\'s message', async () => {
    const page = await signedIn(`/#/devices/${QUIET}`);
    const form = page.getByRole('form', { name: 'Command Setpoint' });
    await form.getByLabel('Setpoint', { exact: true }).fill('23.5');
    await form.getByRole('button', { name: 'Set' }).click();
    await expectText(form.getByRole('status'), 'Setpoint set.');
    const read = await rest('GET', `${gateway.coreCommand.url}/api/v3/device/name/${QUIET}/Setpoint`);
    expect(Number(read.body.event.readings[0].value)).toBe(23.5);

    await form.getByLabel('Setpoint', { exact: true }).fill('99');
    await form.getByRole('button', { name: 'Set' }).click();
    await expectText(form.getByRole('alert'), /maximum|30/);
    expect(Number((await rest('GET', `${gateway.coreCommand.url}/api/v3/device/name/${QUIET}/Setpoint`)).body.event.readings[0].value)).toBe(23.5);
    await page.close();
  });

  it('locks a device (its commands refused) and unlocks it', async () => {
    const page = await signedIn(`/#/devices/${QUIET}`);
    await page.getByRole('button', { name: 'Lock', exact: true }).click();
    await page.getByRole('button', { name: 'Unlock', exact: true }).waitFor();
    expect((await rest('GET', `${gateway.metadata.url}/api/v3/device/name/${QUIET}`)).body.device.adminState).toBe('LOCKED');
    // A locked device refuses commands: the form says so in core-command's words.
    const form = page.getByRole('form', { name: 'Command Setpoint' });
    await form.getByLabel('Setpoint', { exact: true }).fill('22');
    await form.getByRole('button', { name: 'Set' }).click();
    await expectText(form.getByRole('alert'), /lock/i);
    await page.getByRole('button', { name: 'Unlock', exact: true }).click();
    await page.getByRole('button', { name: 'Lock', exact: true }).waitFor();
    expect((await rest('GET', `${gateway.metadata.url}/api/v3/device/name/${QUIET}`)).body.device.adminState).toBe('UNLOCKED');
    await page.close();
  });

  it('shows core-metadata\'s file:line message when an uploaded profile is wrong, and lists a right one', async () => {
    const page = await signedIn('/#/profiles');
    const broken = 'name: Broken-Profile\ndeviceResources:\n  - name: Level\n    properties:\n      valueType: Int99\n      readWrite: R\n';
    await page.getByLabel('Profile file').setInputFiles({ name: 'broken.yaml', mimeType: 'application/yaml', buffer: Buffer.from(broken) });
    await page.getByRole('button', { name: 'Upload' }).click();
    await expectText(page.getByRole('alert'), /broken\.yaml:5\b.*valueType/);

    const good = broken.replace('Broken-Profile', 'Console-Profile').replace('Int99', 'Int16');
    await page.getByLabel('Profile file').setInputFiles({ name: 'good.yaml', mimeType: 'application/yaml', buffer: Buffer.from(good) });
    await page.getByRole('button', { name: 'Upload' }).click();
    await expectText(page.getByRole('status'), /Uploaded good\.yaml/);
    await page.getByRole('rowheader', { name: 'Console-Profile' }).waitFor();
    await page.close();
  });

  it('adds devices from a device file, naming file:line when it is wrong', async () => {
    const page = await signedIn('/#/devices');
    const wrong = 'deviceList:\n  - name: From-File-01\n    profileName: Virtual-Floats\n    serviceName: device-virtual\n    protocols: 7\n';
    await page.getByLabel('Device file').setInputFiles({ name: 'devices.yaml', mimeType: 'application/yaml', buffer: Buffer.from(wrong) });
    await page.getByRole('button', { name: 'Upload' }).click();
    await expectText(page.getByRole('alert'), /devices\.yaml:5\b.*protocols/);

    const right = wrong.replace('protocols: 7', 'protocols: { other: { Address: from-file } }');
    await page.getByLabel('Device file').setInputFiles({ name: 'devices.yaml', mimeType: 'application/yaml', buffer: Buffer.from(right) });
    await page.getByRole('button', { name: 'Upload' }).click();
    await expectText(page.getByRole('status'), 'Added From-File-01.');
    await page.getByRole('link', { name: 'From-File-01', exact: true }).waitFor();
    await page.close();
  });

  it('shows the device services as they registered, reached through the console (the console adds the key)', async () => {
    const page = await signedIn('/#/services');
    // "yes" comes from the service's /version, which needs the key: the console adds it (the browser's is checked and kept).
    const service = page.getByRole('article', { name: 'device-virtual' });
    await expectText(service, /Reachable\s*yes/);
    await page.close();
  });

  it('shows each Modbus connection on the device-modbus card: its units and devices, a refused connect', async () => {
    const page = await signedIn('/#/services');
    const card = page.getByRole('article', { name: 'device-modbus' });
    const endpoint = `tcp://127.0.0.1:${deadPort}`;
    const row = card.getByRole('row').filter({ has: page.getByRole('rowheader', { name: endpoint }) });
    await expectText(row, new RegExp(`not connected.*7: ${METER}`, 's'));
    // A read through core-command meets the closed port: the card says why (it refreshes every 5 s).
    expect((await rest('GET', `${gateway.coreCommand.url}/api/v3/device/name/${METER}/VoltageL1`)).status).toBeGreaterThanOrEqual(500);
    await expectText(row, /cannot connect: connect ECONNREFUSED/);
    await page.close();
  });

  it('shows a device page with live readings, charts and commands (docs/console.png)', async () => {
    const page = await signedIn('/#/devices/Virtual-Floats-01');
    for (const resource of ['Temperature', 'Humidity', 'Pressure']) await page.getByRole('rowheader', { name: resource, exact: true }).waitFor();
    // Enough points for the charts to show a line: the gateway has been publishing every second since the suite began.
    await page.waitForFunction(() =>
      [...(globalThis as any).document.querySelectorAll('svg[role=img]')].some((svg: any) => Number(/(\d+) recent/.exec(svg.getAttribute('aria-label') ?? '')?.[1]) >= 8),
    );
    await page.getByRole('form', { name: 'Command Setpoint' }).waitFor();
    // README's picture is refreshed on request (GW_UPDATE_SCREENSHOTS=1 npx jest test/console), so a test run leaves the tree clean.
    const shot = process.env.GW_UPDATE_SCREENSHOTS === '1' ? join(ROOT, 'docs/console.png') : join(dataDir, 'console.png');
    expect((await page.screenshot({ path: shot, fullPage: true })).length).toBeGreaterThan(10_000);
    await page.close();
  });
});

/** Waits until the locator's text matches (Playwright watches the page); on timeout says what the page shows instead. */
async function expectText(locator: ReturnType<Page['locator']>, expected: string | RegExp): Promise<void> {
  try {
    await locator.filter({ hasText: expected }).first().waitFor({ timeout: 15_000 });
  } catch {
    const shown = await locator.first().textContent({ timeout: 1_000 }).catch(() => null);
    throw new Error(`expected ${String(expected)}, the page shows ${JSON.stringify(shown)}`);
  }
}
