/**
 * `gw` (the real binary) against peers that answer as no service of ours
 * does, but a broken build, a proxy or another program on the port may: a
 * short batch answer, a listing without totalCount, an HTML error page, an
 * answer of the wrong shape, a stream with broken events, a server that never
 * answers, a broker that goes away. A small HTTP server on a free port plays
 * the peer (no real service can be made to answer this way; the broker is a
 * private Mosquitto); each case checks what the user sees.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Topics } from '@gw/contracts';
import { createMessageBus, newEnvelope } from '@gw/messaging';
import { startMosquitto } from '../support/brokers';
import { pollUntil } from '../support/poll';
import { GW, gw, requireFreshCliBuild } from './run-gw';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

describe('gw against peers that answer oddly', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-cli-peers-'));
  let server: Server;
  let url: string;
  let handler: Handler;
  const requests: string[] = [];

  beforeAll(async () => {
    requireFreshCliBuild();
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        requests.push(`${req.method} ${req.url}`);
        handler(req, res, body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    writeFileSync(join(dir, 'two.yaml'), ['A', 'B'].map((n) => `- { name: ${n}, profileName: P, serviceName: S, protocols: { other: { Address: x } } }`).join('\n').replace(/^/, 'deviceList:\n').replace(/\n- /g, '\n  - '));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => (requests.length = 0));

  const json = (status: number, value: unknown): Handler => (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(value));
  };
  const env = () => ({ GW_METADATA_URL: url, GW_APP_SERVICE_URL: url, GW_CONSOLE_URL: url });

  it('exits 1 when metadata answers fewer items than devices, or an item without a 2xx status', async () => {
    handler = json(207, [{ statusCode: 201 }]);
    const short = await gw(['device', 'add', '-f', join(dir, 'two.yaml')], env());
    expect(short).toMatchObject({ code: 1, stdout: '', stderr: 'gw: metadata answered 1 item for 2 devices\n' });

    handler = json(207, [{ statusCode: 201 }, { message: 'odd' }]);
    const odd = await gw(['device', 'add', '-f', join(dir, 'two.yaml')], env());
    expect(odd).toMatchObject({ code: 1, stdout: 'added A\nB: odd (no status)\n', stderr: 'gw: B: odd (no status)\n' });
  });

  it('sends nothing for a device file without devices (exit 2)', async () => {
    writeFileSync(join(dir, 'empty.yaml'), 'deviceList: []\n');
    handler = json(207, []);
    expect(await gw(['device', 'add', '-f', join(dir, 'empty.yaml')], env())).toMatchObject({ code: 2, stderr: 'gw: empty.yaml: deviceList has no devices\n' });
    expect(requests).toEqual([]);
  });

  it('ends a listing that has no totalCount at its first short page', async () => {
    handler = json(200, { devices: [{ name: 'Only', profileName: 'P', serviceName: 'S', adminState: 'UNLOCKED', operatingState: 'UP' }] });
    const listed = await gw(['device', 'list', '--json'], env());
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).map((d: { name: string }) => d.name)).toEqual(['Only']);
    expect(requests).toEqual(['GET /api/v3/device/all?offset=0&limit=500']);
  });

  it("prints a proxy's HTML error page as one short line", async () => {
    handler = (_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end(`<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n${'<p>padding</p>\n'.repeat(40)}</body>\r\n</html>\r\n`);
    };
    const refused = await gw(['device', 'list'], env());
    expect(refused.code).toBe(1);
    expect(refused.stderr.split('\n')).toEqual([expect.stringMatching(/^gw: <html> <head><title>502 Bad Gateway<\/title><\/head> <body> .{100,200} \(502 from GET http:\/\/127\.0\.0\.1:\d+\/api\/v3\/device\/all\?offset=0&limit=500\)$/), '']);
  });

  it('never prints the password of a service URL, nor an API key fetch cannot send', async () => {
    const withPassword = await gw(['device', 'list'], { ...env(), GW_METADATA_URL: url.replace('http://', 'http://admin:s3cret-pw@') });
    expect(withPassword.code).toBe(3);
    expect(withPassword.stderr).toMatch(/^gw: cannot reach core-metadata at http:\/\/admin:\*\*\*@127\.0\.0\.1:\d+/);
    expect(withPassword.stderr).not.toContain('s3cret-pw');

    const badKey = await gw(['device', 'list'], { ...env(), GW_API_KEY: 'key-part-1\nkey-part-2' });
    expect(badKey.code).toBe(78);
    expect(badKey.stderr).toMatch(/^gw: configuration error: .*GW_API_KEY.*visible ASCII/);
    expect(badKey.stderr).not.toContain('key-part');
    expect(requests).toEqual([]);
  });

  it('refuses an export status answer it does not understand, in both forms', async () => {
    handler = json(200, {});
    for (const args of [['export', 'status'], ['export', 'status', '--json']]) {
      const refused = await gw(args, env());
      expect(refused).toMatchObject({ code: 1, stdout: '', stderr: `gw: app-service sent an answer gw does not understand (GET ${url}/api/v3/exports)\n` });
    }
  });

  /** A console stream sending `chunks` then staying open. */
  const stream = (chunks: string[], type = 'text/event-stream'): Handler => (_req, res) => {
    res.writeHead(200, { 'content-type': type });
    for (const chunk of chunks) res.write(chunk);
  };
  const event = (device: string, values: number[]) =>
    JSON.stringify({ apiVersion: 'v3', id: 'e', deviceName: device, profileName: 'P', sourceName: 'S', origin: 1_700_000_000_000_000_000, readings: values.map((v) => ({ resourceName: 'R', valueType: 'Int64', value: String(v), origin: 1_700_000_000_000_000_000, deviceName: device, profileName: 'P' })) });

  it('readings tail skips an event that is not JSON (one note), reads CRLF streams, and --json -n prints only the readings counted', async () => {
    handler = stream([`data: {not json\r\n\r\n`, `data: ${event('D', [1])}\r\n\r\n`, `data: ${event('D', [2, 3, 4])}\r\n\r\n`]);
    const tail = await gw(['readings', 'tail', '-n', '3', '--json'], env());
    expect(tail.code).toBe(0);
    expect(tail.stderr).toBe('gw: note: the console sent an event that is not an EdgeX event; skipped (more are counted)\n');
    const printed = tail.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(printed.map((e: { readings: Array<{ value: string }> }) => e.readings.map((r) => r.value))).toEqual([['1'], ['2', '3']]);
  });

  it('readings tail refuses an answer that is not an event stream (exit 3)', async () => {
    handler = stream(['<html>console?</html>'], 'text/html');
    const refused = await gw(['readings', 'tail'], env());
    expect(refused).toMatchObject({ code: 3, stderr: `gw: ${url} answered text/html, not an event stream: is GW_CONSOLE_URL the web console?\n` });
  });

  /** Runs gw in its own process; resolves once the peer has seen its request. */
  function started(args: string[], extraEnv: Record<string, string> = {}) {
    const child = spawn(GW, args, { env: { PATH: process.env.PATH ?? '', ...env(), ...extraEnv } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
    return { child, exited };
  }

  it('readings tail stopped with Ctrl-C before the console answered exits 0, quietly', async () => {
    let asked!: () => void;
    const seen = new Promise<void>((resolve) => (asked = resolve));
    handler = () => asked(); // never answers
    const { child, exited } = started(['readings', 'tail']);
    await seen;
    child.kill('SIGINT');
    expect(await exited).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it("keeps a refusal's exit 1 when its reader has gone (gw device add ... | head -0)", async () => {
    handler = json(207, [{ statusCode: 201 }, { statusCode: 409, message: 'B exists' }]);
    const { child, exited } = started(['device', 'add', '-f', join(dir, 'two.yaml')]);
    child.stdout.destroy();
    const result = await exited;
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('gw: B: B exists (409)\n');
  });

  it("prints commander's usage errors as one gw: line (exit 2)", async () => {
    expect(await gw(['device', 'explode'], env())).toMatchObject({ code: 2, stdout: '', stderr: "gw: unknown command 'explode' (gw --help lists the commands)\n" });
    expect(await gw(['explode'], env())).toMatchObject({ code: 2, stderr: "gw: unknown command 'explode' (did you mean export? gw --help lists the commands)\n" });
    expect(await gw(['device', 'add'], env())).toMatchObject({ code: 2, stderr: "gw: required option '-f, --file <file>' not specified (gw --help lists the commands)\n" });
  });

  it('readings tail from the broker says when the broker goes away and when it is back', async () => {
    const broker = await startMosquitto();
    const publisher = createMessageBus({ type: 'mqtt', url: broker.url, clientId: `publisher-${process.pid}` });
    try {
      await publisher.connect();
      const { child, exited } = started(['readings', 'tail', '--device', 'Watched'], { GW_BUS_TYPE: 'mqtt', GW_BUS_URL: broker.url });
      const seen = { stdout: '', stderr: '' };
      child.stdout.on('data', (c) => (seen.stdout += c));
      child.stderr.on('data', (c) => (seen.stderr += c));
      // Subscribed once an event it publishes is printed (the broker keeps none for a subscriber that is not there yet).
      const topic = new Topics().deviceEvent('device-virtual', 'P', 'Watched', 'S');
      await pollUntil(async () => {
        await publisher.publish(topic, newEnvelope({ apiVersion: 'v3', event: JSON.parse(event('Watched', [7])) }));
        return seen.stdout.includes('Watched');
      }, 'gw readings tail to print a published event');
      await broker.stop();
      await pollUntil(() => seen.stderr.includes('lost the broker'), 'the note that the broker is lost');
      await broker.start();
      await pollUntil(() => seen.stderr.includes('is back'), 'the note that the broker is back');
      child.kill('SIGINT');
      const result = await exited;
      expect(result.code).toBe(0);
      expect(result.stderr).toBe(
        `gw: note: lost the broker at ${broker.url}; waiting for it (readings published meanwhile are missed)\ngw: note: the broker at ${broker.url} is back\n`,
      );
    } finally {
      await publisher.close();
      await broker.dispose();
    }
  });
});
