/**
 * The web console's server in front of small fake services (the console is
 * the unit here: its key check, its refusals, and how it passes the
 * services' answers on, including services that hang, reset or refuse its
 * key). Requests go over raw HTTP so each header and each path is exactly as
 * a browser or an attacker sends it (fetch would resolve `..` itself).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, IncomingMessage, request, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorKind, GatewayError, Topics } from '@gw/contracts';
import { createMessageBus, ManagedMessageBus, newEnvelope } from '@gw/messaging';
import { ConsoleRunConfig, RunningConsole, startConsole } from '../../apps/console/src/console.app';
import { quietLogger } from '../support/quiet-logger';

const KEY = 'server-test-key-81c2';
/** Small, so a hung service is answered quickly; the test awaits the answer, it does not time it. */
const UPSTREAM_TIMEOUT = 300;

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A fake service: answers by path (`/api/v3/...`), records what reached it. */
class FakeService {
  readonly seen: Array<{ method: string; url: string; apiKey?: string }> = [];
  readonly routes = new Map<string, Handler>();
  private readonly server: Server;
  url = '';

  constructor() {
    this.server = createServer((req, res) => {
      this.seen.push({ method: req.method!, url: req.url!, apiKey: req.headers['x-api-key'] as string | undefined });
      const handler = this.routes.get(req.url!.split('?')[0]);
      if (handler) return handler(req, res);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ statusCode: 200, path: req.url }));
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

/** One raw request; rejects if the answer breaks off (or none comes within 5 s: a hang is a failure, not a wait). */
function send(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<Answer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('aborted', () => reject(new Error('answer aborted')));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    const hung = setTimeout(() => {
      reject(new Error(`hung: no answer to ${method} ${path} within 5 s`));
      req.destroy();
    }, 5_000);
    req.on('close', () => clearTimeout(hung));
    req.end(body);
  });
}

const json = (answer: Answer) => JSON.parse(answer.body) as { statusCode: number; message?: string };

describe('web console server', () => {
  const webDir = mkdtempSync(join(tmpdir(), 'gw-console-web-'));
  const notBuilt = mkdtempSync(join(tmpdir(), 'gw-console-unbuilt-'));
  let bus: ManagedMessageBus;
  let metadata: FakeService;
  let coreData: FakeService;
  let coreCommand: FakeService;
  let deviceService: FakeService;
  let keyed: RunningConsole;
  let open: RunningConsole;
  let unbuilt: RunningConsole;
  const opened: RunningConsole[] = [];
  const withKey = { 'x-api-key': KEY };

  const config = (extra: Partial<ConsoleRunConfig>): ConsoleRunConfig => ({
    host: '127.0.0.1',
    port: 0,
    maxBody: 1024,
    topicBase: 'edgex',
    metadataUrl: metadata.url,
    coreDataUrl: coreData.url,
    coreCommandUrl: coreCommand.url,
    maxClients: 5,
    clientQueue: 16,
    upstreamTimeout: UPSTREAM_TIMEOUT,
    allowedHosts: ['console.plant.local'],
    webDir,
    ...extra,
  });

  beforeAll(async () => {
    mkdirSync(join(webDir, 'assets'));
    writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>console</title>');
    bus = createMessageBus({ type: 'memory' });
    await bus.connect();
    [metadata, coreData, coreCommand, deviceService] = await Promise.all([0, 1, 2, 3].map(() => new FakeService().start()));
    metadata.routes.set('/api/v3/deviceservice/name/device-fake', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ statusCode: 200, service: { name: 'device-fake', baseAddress: deviceService.url } }));
    });
    metadata.routes.set('/api/v3/deviceservice/name/device-silent', () => undefined); // core-metadata never answers
    coreData.routes.set('/api/v3/hang', () => undefined); // accepted, never answered
    coreData.routes.set('/api/v3/reset', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"readings": [');
      setImmediate(() => res.socket!.destroy());
    });
    coreData.routes.set('/api/v3/refused', (_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ statusCode: 401, message: 'invalid API key' }));
    });
    coreData.routes.set('/api/v3/page', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<script>alert(1)</script>');
    });
    const logger = quietLogger('console');
    keyed = await startConsole(config({ apiKey: KEY }), { bus, logger });
    open = await startConsole(config({}), { bus, logger });
    unbuilt = await startConsole(config({ apiKey: KEY, webDir: notBuilt }), { bus, logger });
    opened.push(keyed, open, unbuilt);
  });

  afterAll(async () => {
    for (const c of opened) await c.close();
    await Promise.all([metadata, coreData, coreCommand, deviceService].map((s) => s?.close()));
    await bus?.close();
    rmSync(webDir, { recursive: true, force: true });
    rmSync(notBuilt, { recursive: true, force: true });
  });

  beforeEach(() => {
    for (const s of [metadata, coreData, coreCommand, deviceService]) s.seen.length = 0;
  });

  it('refuses a PUT to core-command and to a device service without the key (401), passing nothing on; with it, adds the key itself', async () => {
    for (const path of ['/api/core-command/device/name/D/Setpoint', '/api/deviceservice/device-fake/device/name/D/Setpoint']) {
      const answer = await send(keyed.url, 'PUT', path, { 'content-type': 'application/json' }, '{"Setpoint":"1"}');
      expect([path, answer.status]).toEqual([path, 401]);
    }
    expect([...coreCommand.seen, ...deviceService.seen, ...metadata.seen]).toEqual([]);

    const through = await send(keyed.url, 'PUT', '/api/deviceservice/device-fake/device/name/D/Setpoint', { ...withKey, 'content-type': 'application/json' }, '{}');
    expect(through.status).toBe(200);
    expect(deviceService.seen).toEqual([{ method: 'PUT', url: '/api/v3/device/name/D/Setpoint', apiKey: KEY }]);
  });

  it('answers 504 naming the service when it does not answer within GW_CONSOLE_UPSTREAM_TIMEOUT', async () => {
    const answer = await send(keyed.url, 'GET', '/api/core-data/hang', withKey);
    expect(answer.status).toBe(504);
    expect(json(answer).message).toMatch(/^core-data did not answer within 300 ms/);
    // The device service's address, asked of a silent core-metadata, is bounded too.
    const lookup = await send(keyed.url, 'GET', '/api/deviceservice/device-silent/version', withKey);
    expect(lookup.status).toBe(504);
    expect(json(lookup).message).toMatch(/core-metadata.*device-silent.*no answer within 300 ms/);
  });

  it('ends the browser\'s answer when the service drops its own halfway', async () => {
    await expect(send(keyed.url, 'GET', '/api/core-data/reset', withKey)).rejects.toThrow(/^(answer aborted|aborted|socket hang up|read ECONNRESET)$/);
  });

  it('answers a service\'s 401 with 502 (the console\'s key refused), never 401, which would sign the user out', async () => {
    const answer = await send(keyed.url, 'GET', '/api/core-data/refused', withKey);
    expect(answer.status).toBe(502);
    expect(json(answer).message).toMatch(/core-data refused the console's key \(401\)/);
  });

  it('refuses dot segments and encoded slashes in a path (400), passing nothing on', async () => {
    const paths = [
      '/api/metadata/a/..%2f..%2fping',
      '/api/metadata/%2e%2e/x',
      '/api/metadata/.%2E/x',
      '/api/metadata/../metadata/x',
      '/api/metadata/./x',
      '/api/metadata/a%2Fb',
      '/api/metadata/a%5cb',
      '/api/metadata/a\\..\\x',
    ];
    for (const path of paths) expect([path, (await send(keyed.url, 'GET', path, withKey)).status]).toEqual([path, 400]);
    expect(metadata.seen).toEqual([]);
    // `//` is no page (404), not a failed request (502, logged).
    expect((await send(keyed.url, 'GET', '//', withKey)).status).toBe(404);
    expect((await send(keyed.url, 'GET', '//api/metadata/x', withKey)).status).toBe(404);
  });

  it('refuses a request another site\'s page made (Sec-Fetch-Site: cross-site or same-site), even a GET with the key', async () => {
    for (const site of ['cross-site', 'same-site']) {
      const answer = await send(keyed.url, 'GET', '/api/core-command/device/name/D/Temperature', { ...withKey, 'sec-fetch-site': site });
      expect([site, answer.status]).toEqual([site, 403]);
    }
    expect(coreCommand.seen).toEqual([]);
    expect((await send(keyed.url, 'GET', '/api/core-command/device/name/D/Temperature', { ...withKey, 'sec-fetch-site': 'same-origin' })).status).toBe(200);
  });

  it('without a key, answers only localhost, IP addresses and GW_CONSOLE_ALLOWED_HOSTS (a rebound DNS name is refused)', async () => {
    const port = new URL(open.url).port;
    const asHost = (host: string) => send(open.url, 'GET', '/api/console/session', { host });
    const refused = await asHost(`attacker.example:${port}`);
    expect(refused.status).toBe(403);
    expect(json(refused).message).toMatch(/GW_CONSOLE_ALLOWED_HOSTS/);
    expect((await send(open.url, 'GET', '/', { host: `attacker.example:${port}` })).status).toBe(403);
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `console.plant.local:${port}`]) {
      expect([host, (await asHost(host)).status]).toEqual([host, 200]);
    }
    // Health checks stay open, whatever the Host.
    expect((await send(open.url, 'GET', '/api/v3/ping', { host: 'attacker.example' })).status).toBe(200);
  });

  it('refuses a device file larger than GW_MAX_BODY (413)', async () => {
    const answer = await send(keyed.url, 'POST', '/api/console/devicefile?name=big.yaml', { ...withKey, 'content-type': 'application/yaml' }, 'deviceList:\n' + '#'.repeat(2048));
    expect(answer.status).toBe(413);
    expect(json(answer).message).toMatch(/larger than 1024 bytes \(GW_MAX_BODY\)/);
  });

  it('answers 503 with how to build it when the app is not built', async () => {
    const answer = await send(unbuilt.url, 'GET', '/');
    expect(answer.status).toBe(503);
    expect(answer.body).toMatch(/not built.*npm run build/);
  });

  it('serves a service\'s answer as data: nosniff and a sandboxing Content-Security-Policy', async () => {
    const answer = await send(keyed.url, 'GET', '/api/core-data/page', withKey);
    expect(answer.status).toBe(200);
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    expect(answer.headers['content-security-policy']).toMatch(/^sandbox; default-src 'none'/);
  });

  it('names the console\'s variables when its port is taken', async () => {
    const port = Number(new URL(keyed.url).port);
    const failed = startConsole(config({ port }), { bus, logger: quietLogger('console') }).then((c) => (opened.push(c), c));
    await expect(failed).rejects.toThrow(/cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE.*GW_CONSOLE_PORT.*GW_CONSOLE=false/);
    expect(await failed.catch((err: unknown) => GatewayError.is(err, ErrorKind.Config))).toBe(true);
  });

  it('keeps streaming when a malformed event is on the bus: readings a page cannot show are left out', async () => {
    const { hostname, port } = new URL(keyed.url);
    const events: Array<{ deviceName: string; readings: Array<{ resourceName: string }> }> = [];
    const stream = request({ host: hostname, port, path: '/api/console/events?device=D', headers: withKey });
    const opened_ = new Promise<IncomingMessage>((resolve, reject) => {
      stream.on('response', resolve);
      stream.on('error', reject);
    });
    stream.end();
    const res = await opened_;
    let buffer = '';
    const arrived = new Promise<void>((resolve) => {
      res.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        for (const [, data] of buffer.matchAll(/^data: (.*)$/gm)) events.push(JSON.parse(data));
        buffer = buffer.slice(buffer.lastIndexOf('\n\n') + 2);
        if (events.some((e) => e.deviceName === 'D' && e.readings.some((r) => r.resourceName === 'Last'))) resolve();
      });
    });
    const topic = new Topics('edgex').deviceEvent('device-fake', 'P', 'D', 'S');
    const publish = (event: unknown) => bus.publish(topic, newEnvelope({ apiVersion: 'v3', requestId: '', event }));
    await publish(null);
    await publish({ deviceName: 'D', readings: null });
    await publish({ deviceName: 'D', profileName: 'P', sourceName: 'S', origin: 1, readings: [null, { resourceName: 5, value: '1' }, { resourceName: 'Good', value: '2' }] });
    await publish({ deviceName: 'D', profileName: 'P', sourceName: 'S', origin: 2, readings: [{ resourceName: 'Last', value: '3', objectValue: { a: 1 } }] });
    await arrived;
    res.destroy();
    expect(events.map((e) => e.readings)).toEqual([[expect.objectContaining({ resourceName: 'Good', value: '2' })], [expect.objectContaining({ resourceName: 'Last', objectValue: { a: 1 } })]]);
  });
});
