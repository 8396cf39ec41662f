import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { HttpSink } from '../../apps/app-service/src/sinks/http-sink';
import { DeliveryError, OutboxRecord, SinkLogger } from '../../apps/app-service/src/sinks/sink';
import { HttpSinkSchema } from '../../apps/app-service/src/sinks/sink-config';
import { freePort } from '../support/brokers';

jest.setTimeout(30_000);

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** The JSON the server got, after undoing Content-Encoding. */
  json: unknown;
}

interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** A local HTTP(S) endpoint that records requests and answers as the test says ('hang': never). */
class Endpoint {
  readonly seen: Seen[] = [];
  reply: (seen: Seen, index: number) => Reply | 'hang' = () => ({ status: 204 });
  url = '';

  constructor(private readonly server: Server) {
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
        const seen: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, json: JSON.parse(body.toString()) };
        this.seen.push(seen);
        const reply = this.reply(seen, this.seen.length - 1);
        if (reply === 'hang') return;
        res.writeHead(reply.status, reply.headers).end(reply.body);
      });
    });
  }

  async listen(scheme: 'http' | 'https'): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `${scheme}://127.0.0.1:${(this.server.address() as AddressInfo).port}/ingest?code=k3y`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const logger = (): SinkLogger & { warn: jest.Mock } => ({ debug: jest.fn(), info: jest.fn(), warn: jest.fn(), error: jest.fn() });

let nextId = 1;
const records = (...docs: object[]): OutboxRecord[] =>
  docs.map((doc) => ({ id: nextId++, key: 'pump', kind: 'telemetry', body: Buffer.from(JSON.stringify(doc)), createdAt: Date.now(), attempts: 0 }));

async function failure(work: Promise<unknown>): Promise<DeliveryError> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof DeliveryError)) throw new Error(`expected a DeliveryError, got ${String(err)}`);
  return err;
}

describe('HTTP sink', () => {
  let endpoint: Endpoint;
  const sinks: HttpSink[] = [];
  const sink = async (extra: Record<string, unknown> = {}, log: SinkLogger = logger()) => {
    const s = new HttpSink(HttpSinkSchema.parse({ name: 'cloud', type: 'http', url: endpoint.url, ...extra }));
    sinks.push(s);
    await s.start({ logger: log });
    return s;
  };

  beforeEach(async () => {
    endpoint = await new Endpoint(createHttpServer()).listen('http');
  });
  afterEach(async () => {
    await Promise.all(sinks.splice(0).map((s) => s.stop()));
    await endpoint.close();
  });

  it('batched: one request whose body is the JSON array of the records, with the configured method and headers', async () => {
    const s = await sink({ method: 'PUT', headers: { Authorization: 'Bearer t0ken', 'X-Plant': 'north' } });
    await s.deliver(records({ v: 1 }, { v: 2 }, { v: 3 }), { batched: true, gzip: false });
    expect(endpoint.seen).toHaveLength(1);
    const [req] = endpoint.seen;
    expect(req).toMatchObject({ method: 'PUT', url: '/ingest?code=k3y', json: [{ v: 1 }, { v: 2 }, { v: 3 }] });
    expect(req.headers).toMatchObject({ authorization: 'Bearer t0ken', 'x-plant': 'north', 'content-type': 'application/json' });
  });

  it('unbatched: one request per record, in order', async () => {
    const s = await sink();
    await s.deliver(records({ v: 1 }, { v: 2 }, { v: 3 }), { batched: false, gzip: false });
    expect(endpoint.seen.map((r) => [r.method, r.json])).toEqual([
      ['POST', { v: 1 }],
      ['POST', { v: 2 }],
      ['POST', { v: 3 }],
    ]);
  });

  it('gzip: Content-Encoding gzip and a body that inflates to the JSON', async () => {
    const s = await sink({ headers: { 'Content-Type': 'application/vnd.plant+json' } });
    await s.deliver(records({ v: 1 }, { v: 2 }), { batched: true, gzip: true });
    expect(endpoint.seen[0].headers).toMatchObject({ 'content-encoding': 'gzip', 'content-type': 'application/vnd.plant+json' });
    expect(endpoint.seen[0].json).toEqual([{ v: 1 }, { v: 2 }]);
  });

  it.each([200, 201, 202, 204])('HTTP %i: delivered', async (status) => {
    endpoint.reply = () => ({ status });
    const s = await sink();
    await expect(s.deliver(records({ v: 1 }), { batched: false, gzip: false })).resolves.toBeUndefined();
    expect(s.connected).toBe(true);
  });

  it.each([401, 403, 404, 408, 429, 500, 502, 503])('HTTP %i: retry, keeping the records', async (status) => {
    endpoint.reply = () => ({ status, body: 'go away' });
    const s = await sink();
    const err = await failure(s.deliver(records({ v: 1 }), { batched: true, gzip: false }));
    expect(err.disposition).toBe('retry');
    expect(err.message).toContain(`HTTP ${status}`);
    expect(err.message).toContain('go away');
    // The query may hold a key: errors (lastError) name the origin only.
    expect(err.message).not.toContain('k3y');
  });

  it.each([400, 413, 422])('HTTP %i on a single record: rejected', async (status) => {
    endpoint.reply = () => ({ status });
    const s = await sink();
    const err = await failure(s.deliver(records({ v: 1 }), { batched: false, gzip: false }));
    expect([err.disposition, err.delivered]).toEqual(['reject', 0]);
    expect(err.message).toContain(`HTTP ${status}`);
  });

  it('reports Retry-After in the error', async () => {
    endpoint.reply = () => ({ status: 429, headers: { 'Retry-After': '17' } });
    const s = await sink();
    const err = await failure(s.deliver(records({ v: 1 }), { batched: true, gzip: false }));
    expect(err.message).toContain('(Retry-After: 17s)');
  });

  it('unbatched: stops at the first failure and says how many records the server accepted before it', async () => {
    endpoint.reply = (_, i) => (i === 2 ? { status: 503 } : { status: 200 });
    const s = await sink();
    const page = records({ v: 1 }, { v: 2 }, { v: 3 }, { v: 4 });
    const err = await failure(s.deliver(page, { batched: false, gzip: false }));
    expect([err.disposition, err.delivered]).toEqual(['retry', 2]);
    expect(endpoint.seen.map((r) => r.json)).toEqual([{ v: 1 }, { v: 2 }, { v: 3 }]);
    // What the outbox does: remove the delivered records and retry the rest.
    await s.deliver(page.slice(err.delivered), { batched: false, gzip: false });
    expect(endpoint.seen.map((r) => r.json)).toEqual([{ v: 1 }, { v: 2 }, { v: 3 }, { v: 3 }, { v: 4 }]);
  });

  it('unbatched: a refused record ends the call with reject, delivered = the records before it', async () => {
    endpoint.reply = (seen) => ((seen.json as { v: number }).v === 2 ? { status: 400, body: 'bad v' } : { status: 200 });
    const log = logger();
    const s = await sink({}, log);
    const page = records({ v: 1 }, { v: 2 }, { v: 3 });
    const err = await failure(s.deliver(page, { batched: false, gzip: false }));
    expect([err.disposition, err.delivered]).toEqual(['reject', 1]);
    expect(err.message).toContain('HTTP 400');
    expect(err.message).toContain('bad v');
    expect(endpoint.seen.map((r) => r.json)).toEqual([{ v: 1 }, { v: 2 }]);
    expect(log.warn).toHaveBeenCalledWith({ record: page[1].id, status: 400 }, expect.any(String));
  });

  it('batched: a batch over the server limit (413) is split, and every record arrives once, in order', async () => {
    endpoint.reply = (seen) => ((seen.json as unknown[]).length > 2 ? { status: 413 } : { status: 200 });
    const s = await sink();
    await s.deliver(records({ v: 1 }, { v: 2 }, { v: 3 }, { v: 4 }, { v: 5 }), { batched: true, gzip: false });
    const accepted = endpoint.seen.filter((r) => (r.json as unknown[]).length <= 2).flatMap((r) => r.json as unknown[]);
    expect(accepted).toEqual([{ v: 1 }, { v: 2 }, { v: 3 }, { v: 4 }, { v: 5 }]);
  });

  it('batched: one malformed record is isolated; the records before it arrive, and only it is rejected', async () => {
    const bad = (seen: Seen) => (seen.json as Array<{ v: number }>).some((d) => d.v === 3);
    endpoint.reply = (seen) => (bad(seen) ? { status: 422 } : { status: 200 });
    const s = await sink();
    const page = records({ v: 1 }, { v: 2 }, { v: 3 }, { v: 4 });
    const err = await failure(s.deliver(page, { batched: true, gzip: false }));
    expect([err.disposition, err.delivered]).toEqual(['reject', 2]);
    const accepted = () => endpoint.seen.filter((r) => !bad(r)).flatMap((r) => r.json as unknown[]);
    expect(accepted()).toEqual([{ v: 1 }, { v: 2 }]);
    // What the outbox does: drop the refused record and go on with the rest.
    await s.deliver(page.slice(err.delivered + 1), { batched: true, gzip: false });
    expect(accepted()).toEqual([{ v: 1 }, { v: 2 }, { v: 4 }]);
  });

  it('batched: a failure while sending a refused batch in halves reports the halves already accepted', async () => {
    endpoint.reply = (seen, i) => (i === 0 ? { status: 413 } : (seen.json as Array<{ v: number }>)[0].v === 3 ? { status: 503 } : { status: 200 });
    const s = await sink();
    const err = await failure(s.deliver(records({ v: 1 }, { v: 2 }, { v: 3 }, { v: 4 }), { batched: true, gzip: false }));
    expect([err.disposition, err.delivered]).toEqual(['retry', 2]);
    expect(endpoint.seen.map((r) => r.json)).toEqual([[{ v: 1 }, { v: 2 }, { v: 3 }, { v: 4 }], [{ v: 1 }, { v: 2 }], [{ v: 3 }, { v: 4 }]]);
  });

  it('batched: a single record refused is rejected with nothing delivered', async () => {
    endpoint.reply = () => ({ status: 400 });
    const s = await sink();
    const err = await failure(s.deliver(records({ v: 1 }), { batched: true, gzip: false }));
    expect([err.disposition, err.delivered]).toEqual(['reject', 0]);
    expect(endpoint.seen.map((r) => r.json)).toEqual([[{ v: 1 }]]);
  });

  it('a server that does not answer in time: retry, not connected', async () => {
    endpoint.reply = () => 'hang';
    const s = await sink({ timeout: '300ms' });
    const started = Date.now();
    const err = await failure(s.deliver(records({ v: 1 }), { batched: true, gzip: false }));
    expect(err.disposition).toBe('retry');
    expect(err.message).toContain('no complete response within 300 ms');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(s.connected).toBe(false);
  });

  it('nobody listening: retry, not connected, logged once without secrets', async () => {
    const port = await freePort();
    const log = logger();
    const s = new HttpSink(
      HttpSinkSchema.parse({ name: 'cloud', type: 'http', url: `http://127.0.0.1:${port}/x?code=k3y`, headers: { Authorization: 'Bearer t0ken' } }),
    );
    sinks.push(s);
    await s.start({ logger: log });
    expect(s.connected).toBe(false);
    for (let i = 0; i < 2; i++) {
      const err = await failure(s.deliver(records({ v: 1 }), { batched: true, gzip: false }));
      expect(err.disposition).toBe('retry');
      expect(err.message).toContain('ECONNREFUSED');
    }
    expect(s.connected).toBe(false);
    expect(log.warn).toHaveBeenCalledTimes(1);
    expect(JSON.stringify(log.warn.mock.calls)).not.toMatch(/k3y|t0ken/);
  });
});

describe('HTTP sink over TLS', () => {
  let dir: string;
  let cert: string;
  let key: string;
  const sinks: HttpSink[] = [];
  const endpoints: Endpoint[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gw-http-sink-tls-'));
    // One self-signed certificate, valid for 127.0.0.1, serves as the server's and the client's.
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    key = readFileSync(join(dir, 'key.pem'), 'utf8');
  });
  afterEach(async () => {
    await Promise.all(sinks.splice(0).map((s) => s.stop()));
    await Promise.all(endpoints.splice(0).map((e) => e.close()));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const endpoint = async (requireClientCert = false) => {
    const server = createHttpsServer({ cert, key, ...(requireClientCert ? { ca: cert, requestCert: true, rejectUnauthorized: true } : {}) });
    const e = await new Endpoint(server).listen('https');
    endpoints.push(e);
    return e;
  };
  const sink = async (url: string, tls?: Record<string, unknown>) => {
    const s = new HttpSink(HttpSinkSchema.parse({ name: 'tls', type: 'http', url, tls }));
    sinks.push(s);
    await s.start({ logger: logger() });
    return s;
  };

  it('trusts the server with its CA, from a file path or inline PEM', async () => {
    const e = await endpoint();
    await (await sink(e.url, { ca: join(dir, 'cert.pem') })).deliver(records({ v: 1 }), { batched: false, gzip: false });
    await (await sink(e.url, { ca: cert })).deliver(records({ v: 2 }), { batched: false, gzip: false });
    expect(e.seen.map((r) => r.json)).toEqual([{ v: 1 }, { v: 2 }]);
  });

  it('refuses an untrusted server certificate: retry, nothing sent', async () => {
    const e = await endpoint();
    const err = await failure((await sink(e.url)).deliver(records({ v: 1 }), { batched: false, gzip: false }));
    expect(err.disposition).toBe('retry');
    expect(err.message).toMatch(/self[- ]signed certificate/);
    expect(e.seen).toHaveLength(0);
  });

  it('presents a client certificate when the server requires one', async () => {
    const e = await endpoint(true);
    const without = await failure((await sink(e.url, { ca: cert })).deliver(records({ v: 1 }), { batched: false, gzip: false }));
    expect(without.disposition).toBe('retry');
    await (await sink(e.url, { ca: cert, cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') })).deliver(records({ v: 2 }), {
      batched: false,
      gzip: false,
    });
    expect(e.seen.map((r) => r.json)).toEqual([{ v: 2 }]);
  });
});
