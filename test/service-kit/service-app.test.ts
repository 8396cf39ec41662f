import { connect, createServer } from 'node:net';
import { Writable } from 'node:stream';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { z } from 'zod';
import { ErrorKind, GatewayError } from '@gw/contracts';
import {
  CommonServiceConfig,
  commonServiceConfig,
  createLogger,
  createServiceApp,
  listenService,
  loadConfig,
  secret,
  text,
} from '@gw/service-kit';
import { DummyModule } from './dummy.module';

type Json = Record<string, unknown>;

function captureLogs() {
  const lines: Json[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, logger: createLogger('test', 'debug', stream) };
}

const baseConfig = (overrides: Partial<CommonServiceConfig> = {}): CommonServiceConfig & Json => ({
  serviceName: 'core-dummy',
  host: '127.0.0.1',
  port: 0,
  logLevel: 'debug',
  maxBody: 1024,
  ...overrides,
});

async function start(config: CommonServiceConfig & Json, logs = captureLogs()) {
  const app = await createServiceApp({ module: DummyModule, version: '1.2.3', config, logger: logs.logger, shutdownHooks: false });
  const url = await listenService(app, config);
  return { app, url, logs };
}

async function call(url: string, init?: RequestInit): Promise<{ status: number; body: Json; headers: Headers }> {
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as Json, headers: res.headers };
}

describe('a service app without API key (the embedded default)', () => {
  let app: NestFastifyApplication;
  let url: string;
  let logs: ReturnType<typeof captureLogs>;

  beforeAll(async () => {
    const config = loadConfig(
      z.object({ ...commonServiceConfig({ serviceName: 'core-dummy', port: 59999 }), database: secret(text()) }),
      { GW_DUMMY_PORT: '0', GW_HOST: '127.0.0.1', GW_MAX_BODY: '1kb', GW_DATABASE: 'postgres://gw:hunter2@db/gw' },
      'dummy',
    );
    ({ app, url, logs } = await start(config));
  });
  afterAll(() => app.close());

  it('answers /ping like EdgeX, and without a key', async () => {
    const { status, body } = await call(`${url}/api/v3/ping`);
    expect(status).toBe(200);
    expect(body).toEqual({ apiVersion: 'v3', statusCode: 200, timestamp: expect.any(String), serviceName: 'core-dummy' });
    expect(String(body.timestamp)).toMatch(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
  });

  it('answers /version', async () => {
    expect((await call(`${url}/api/v3/version`)).body).toEqual({
      apiVersion: 'v3',
      statusCode: 200,
      version: '1.2.3',
      serviceName: 'core-dummy',
    });
  });

  it('answers /config with secrets redacted', async () => {
    const { status, body } = await call(`${url}/api/v3/config`);
    expect(status).toBe(200);
    expect(body).toEqual({
      apiVersion: 'v3',
      serviceName: 'core-dummy',
      config: { serviceName: 'core-dummy', host: '127.0.0.1', port: 0, logLevel: 'info', logFormat: 'auto', maxBody: 1024, dataDir: './data', openapiUi: true, database: '***' },
    });
  });

  it('echoes X-Correlation-ID, or makes one', async () => {
    const given = await call(`${url}/api/v3/ping`, { headers: { 'X-Correlation-ID': 'corr-123' } });
    expect(given.headers.get('x-correlation-id')).toBe('corr-123');
    const made = await call(`${url}/api/v3/ping`);
    expect(made.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
    // It is echoed, logged and put on the bus: an oversized or odd one is replaced.
    const odd = await call(`${url}/api/v3/ping`, { headers: { 'X-Correlation-ID': 'a'.repeat(500) } });
    expect(odd.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('gives modules the config through DI', async () => {
    expect((await call(`${url}/api/v3/dummy/whoami`)).body).toMatchObject({ serviceName: 'core-dummy' });
  });

  it.each([
    [ErrorKind.ContractInvalid, 400],
    [ErrorKind.EntityNotFound, 404],
    [ErrorKind.NotAllowed, 405],
    [ErrorKind.DuplicateName, 409],
    [ErrorKind.StatusConflict, 409],
    [ErrorKind.PayloadTooLarge, 413],
    [ErrorKind.RangeNotSatisfiable, 416],
    [ErrorKind.ServiceLocked, 423],
    [ErrorKind.Database, 500],
    [ErrorKind.ServiceUnavailable, 503],
    [ErrorKind.Communication, 503],
    [ErrorKind.Timeout, 504],
  ])('maps GatewayError %s to %d with the EdgeX error envelope', async (kind, status) => {
    const res = await call(`${url}/api/v3/dummy/kind/${kind}`);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body).toEqual({ apiVersion: 'v3', statusCode: status, message: `failed with ${kind}` });
  });

  it('names the field and line of a validation error', async () => {
    const res = await call(`${url}/api/v3/dummy/validation`);
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('profile.yaml:17: deviceResources[1].properties.valueType: unknown value type "Flaot32"');
  });

  it('hides unexpected errors from the client and logs them with their stack', async () => {
    const res = await call(`${url}/api/v3/dummy/crash`, { headers: { 'X-Correlation-ID': 'crash-1' } });
    expect(res.body).toEqual({ apiVersion: 'v3', statusCode: 500, message: 'Internal Server Error' });
    const line = logs.lines.find((l) => l.reqId === 'crash-1' && l.level === 'error');
    expect(line).toMatchObject({ service: 'test', statusCode: 500, err: { stack: expect.stringContaining('TypeError') } });
  });

  it('answers unknown routes with a 404 envelope', async () => {
    const res = await call(`${url}/api/v3/nothing-here`);
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ apiVersion: 'v3', statusCode: 404, message: expect.stringContaining('/api/v3/nothing-here') });
  });

  it('parses JSON bodies', async () => {
    const res = await call(`${url}/api/v3/dummy/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ a: [1, 2] }),
    });
    expect(res.body).toEqual({ apiVersion: 'v3', statusCode: 200, body: { a: [1, 2] } });
  });

  it('refuses malformed JSON with 400 and a clear message', async () => {
    const res = await call(`${url}/api/v3/dummy/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a": [1, 2}',
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ apiVersion: 'v3', statusCode: 400 });
    expect(res.body.message).toMatch(/^request body is not valid JSON: /);
  });

  it('refuses an empty JSON body with 400', async () => {
    const res = await call(`${url}/api/v3/dummy/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '' });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('request body is empty but Content-Type is application/json');
  });

  it('refuses prototype poisoning', async () => {
    const res = await call(`${url}/api/v3/dummy/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"__proto__": {"admin": true}}',
    });
    expect(res.status).toBe(400);
  });

  it('refuses a body over the limit with 413', async () => {
    const res = await call(`${url}/api/v3/dummy/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ blob: 'x'.repeat(2048) }),
    });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({
      apiVersion: 'v3',
      statusCode: 413,
      message: 'request body is larger than the limit of 1024 bytes (GW_MAX_BODY)',
    });
  });

  it('refuses an unsupported content type with 415', async () => {
    const res = await call(`${url}/api/v3/dummy/echo`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<a/>' });
    expect(res.status).toBe(415);
    expect(res.body.message).toMatch(/^unsupported content type "application\/xml"/);
  });

  it('hands YAML bodies to the controller as text', async () => {
    for (const type of ['application/x-yaml', 'text/yaml', 'application/yaml']) {
      const res = await call(`${url}/api/v3/dummy/yaml`, { method: 'POST', headers: { 'content-type': type }, body: 'name: x\n' });
      expect(res.body).toEqual({ apiVersion: 'v3', statusCode: 200, text: 'name: x\n' });
    }
  });

  it('accepts multipart uploads up to the body limit', async () => {
    const form = new FormData();
    form.append('file', new Blob(['name: x\n']), 'profile.yaml');
    const ok = await call(`${url}/api/v3/dummy/upload`, { method: 'POST', body: form });
    expect(ok.body).toEqual({ apiVersion: 'v3', statusCode: 201, field: 'file', size: 8 });

    const big = new FormData();
    big.append('file', new Blob(['x'.repeat(4096)]), 'big.yaml');
    const tooBig = await call(`${url}/api/v3/dummy/upload`, { method: 'POST', body: big });
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.message).toBe('uploaded file is larger than the limit of 1024 bytes (GW_MAX_BODY)');
  });

  it('answers batches with 207 and a statusCode per item', async () => {
    const res = await call(`${url}/api/v3/dummy/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ requestId: 'a1a1a1a1-0000-4000-8000-000000000001', name: 'a' }, { requestId: 'a1a1a1a1-0000-4000-8000-000000000002', name: 'a' }]),
    });
    expect(res.status).toBe(207);
    expect(res.body).toEqual([
      { apiVersion: 'v3', requestId: 'a1a1a1a1-0000-4000-8000-000000000001', statusCode: 201, id: 'id-a' },
      { apiVersion: 'v3', requestId: 'a1a1a1a1-0000-4000-8000-000000000002', statusCode: 409, message: 'name a already exists' },
    ]);
  });
});

describe('a service app with an API key', () => {
  const key = 'k3y-0f-the-gateway';
  let app: NestFastifyApplication;
  let url: string;
  let logs: ReturnType<typeof captureLogs>;

  beforeAll(async () => {
    ({ app, url, logs } = await start(baseConfig({ apiKey: key })));
  });
  afterAll(() => app.close());

  it('leaves GET /ping open for health checks', async () => {
    expect((await call(`${url}/api/v3/ping`)).status).toBe(200);
  });

  it('refuses requests without a key with 401 and the EdgeX envelope', async () => {
    const res = await call(`${url}/api/v3/version`);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ apiVersion: 'v3', statusCode: 401, message: expect.stringContaining('missing API key') });
  });

  it('refuses a wrong key', async () => {
    const wrong: Record<string, string>[] = [{ authorization: 'Bearer nope' }, { 'x-api-key': `${key}x` }, { authorization: key }];
    for (const headers of wrong) {
      expect((await call(`${url}/api/v3/version`, { headers })).status).toBe(401);
    }
  });

  it('accepts Bearer and X-API-Key', async () => {
    expect((await call(`${url}/api/v3/version`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    expect((await call(`${url}/api/v3/config`, { headers: { 'x-api-key': key } })).body).toMatchObject({
      config: { apiKey: '***' },
    });
  });

  it('checks the key before reading the body, and on unknown routes too', async () => {
    const res = await call(`${url}/api/v3/dummy/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{bad' });
    expect(res.status).toBe(401);
    expect((await call(`${url}/api/v3/secret-path`)).status).toBe(401);
  });

  it('never logs the key', () => {
    expect(JSON.stringify(logs.lines)).not.toContain(key);
  });
});

describe('several services in one process', () => {
  it('run side by side, each with its own name, config and auth', async () => {
    const a = await start(baseConfig({ serviceName: 'svc-a' }));
    const b = await start(baseConfig({ serviceName: 'svc-b', apiKey: 'only-b' }));
    try {
      expect(a.url).not.toBe(b.url);
      expect((await call(`${a.url}/api/v3/version`)).body.serviceName).toBe('svc-a');
      expect((await call(`${b.url}/api/v3/ping`)).body.serviceName).toBe('svc-b');
      expect((await call(`${b.url}/api/v3/version`)).status).toBe(401);
      expect((await call(`${a.url}/api/v3/dummy/whoami`)).body.serviceName).toBe('svc-a');
    } finally {
      await a.app.close();
      await b.app.close();
    }
  });

  it('reports a port in use as a config error naming it', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const app = await createServiceApp({
      module: DummyModule,
      version: '1',
      config: baseConfig({ port }),
      logger: captureLogs().logger,
      shutdownHooks: false,
    });
    try {
      const err = await listenService(app, { host: '127.0.0.1', port }).catch((e: unknown) => e);
      expect(GatewayError.is(err, ErrorKind.Config)).toBe(true);
      expect((err as Error).message).toBe(`cannot listen on 127.0.0.1:${port}: EADDRINUSE`);
    } finally {
      await app.close();
      blocker.close();
    }
  });
});

describe('CORS', () => {
  const console_ = 'https://console.plant.local';
  const key = 'k3y-0f-the-gateway';
  const accessControl = (headers: Headers) => [...headers.keys()].filter((name) => name.startsWith('access-control-'));
  const preflight = (url: string, origin: string) =>
    fetch(`${url}/api/v3/device/name/Pump-1`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization,content-type' },
    });

  it('is off by default: no Access-Control-* header at all, no preflight answer', async () => {
    const { app, url } = await start(baseConfig());
    try {
      const res = await fetch(`${url}/api/v3/version`, { headers: { origin: console_ } });
      expect(res.status).toBe(200);
      expect(accessControl(res.headers)).toEqual([]);
      const pre = await preflight(url, console_);
      expect(pre.status).toBe(404);
      expect(accessControl(pre.headers)).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('reads the allowed origins from GW_CORS_ORIGINS and refuses what is not an origin, naming the variable', () => {
    const schema = z.object(commonServiceConfig({ serviceName: 'core-dummy', port: 59999 }));
    const env = { GW_CORS_ORIGINS: `${console_}, http://localhost:4000` };
    expect(loadConfig(schema, env, 'dummy').corsOrigins).toEqual([console_, 'http://localhost:4000']);
    expect(() => loadConfig(schema, { GW_DUMMY_CORS_ORIGINS: `${console_}/` }, 'dummy')).toThrow(
      /^invalid configuration: GW_DUMMY_CORS_ORIGINS: expected comma-separated origins such as .* \(no path\), or \*, got "https:\/\/console.plant.local\/"$/,
    );
  });

  describe('with allowed origins and an API key', () => {
    let app: NestFastifyApplication;
    let url: string;
    beforeAll(async () => {
      ({ app, url } = await start(baseConfig({ apiKey: key, corsOrigins: [console_, 'http://localhost:4000'] })));
    });
    afterAll(() => app.close());

    it('answers an allowed origin\'s preflight without the key, with our methods and headers', async () => {
      const res = await preflight(url, console_);
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(console_);
      expect(res.headers.get('access-control-allow-methods')).toBe('GET, HEAD, POST, PUT, PATCH, DELETE');
      expect(res.headers.get('access-control-allow-headers')).toBe('Authorization, X-API-Key, Content-Type, X-Correlation-ID');
      expect(res.headers.get('vary')).toMatch(/Origin/);
    });

    it('still wants the key on the real request, and lets the page read the answer either way', async () => {
      const without = await fetch(`${url}/api/v3/version`, { headers: { origin: console_ } });
      expect(without.status).toBe(401);
      expect(without.headers.get('access-control-allow-origin')).toBe(console_);
      const withKey = await fetch(`${url}/api/v3/version`, { headers: { origin: 'http://localhost:4000', 'x-api-key': key } });
      expect(withKey.status).toBe(200);
      expect(withKey.headers.get('access-control-allow-origin')).toBe('http://localhost:4000');
      expect(withKey.headers.get('access-control-expose-headers')).toBe('X-Correlation-ID');
    });

    it('gives another origin no Access-Control-* header, and its preflight meets the key check', async () => {
      const res = await fetch(`${url}/api/v3/version`, { headers: { origin: 'https://evil.example', 'x-api-key': key } });
      expect(res.status).toBe(200);
      expect(accessControl(res.headers)).toEqual([]);
      const pre = await preflight(url, 'https://evil.example');
      expect(pre.status).toBe(401);
      expect(await pre.json()).toMatchObject({ apiVersion: 'v3', statusCode: 401 });
      expect(accessControl(pre.headers)).toEqual([]);
    });

    it('wants the key on an OPTIONS request that is not a preflight', async () => {
      const res = await fetch(`${url}/api/v3/version`, { method: 'OPTIONS', headers: { origin: console_ } });
      expect(res.status).toBe(401);
      expect(res.headers.get('access-control-allow-origin')).toBe(console_);
    });
  });

  it('allows any origin only when * is given', async () => {
    const { app, url } = await start(baseConfig({ corsOrigins: ['*'] }));
    try {
      const res = await fetch(`${url}/api/v3/version`, { headers: { origin: 'http://anything.local:8080' } });
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect((await preflight(url, 'http://anything.local:8080')).status).toBe(204);
    } finally {
      await app.close();
    }
  });
});

describe('requests node refuses before routing', () => {
  let app: NestFastifyApplication;
  let url: string;
  beforeAll(async () => {
    ({ app, url } = await start(baseConfig()));
  });
  afterAll(() => app.close());

  /** Sends raw bytes and reads the whole answer (the server closes the connection). */
  const raw = (request: string) =>
    new Promise<{ status: number; headers: string; body: Json }>((resolve, reject) => {
      const { hostname, port } = new URL(url);
      const socket = connect(Number(port), hostname);
      let data = '';
      socket.on('data', (chunk) => (data += chunk.toString()));
      socket.on('error', reject);
      socket.on('close', () => {
        const [head, body] = data.split('\r\n\r\n');
        resolve({ status: Number(head.split(' ')[1]), headers: head, body: JSON.parse(body) as Json });
      });
      socket.write(request);
    });

  it('answers an oversized URL with 431 in the EdgeX envelope', async () => {
    const res = await raw(`GET /api/v3/ping?filler=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: gw\r\n\r\n`);
    expect(res.status).toBe(431);
    expect(res.headers).toMatch(/\r\ncontent-type: application\/json/i);
    expect(res.body).toEqual({
      apiVersion: 'v3',
      statusCode: 431,
      message: 'request URL and headers exceed 16384 bytes: send large data in the request body',
    });
  });

  it('answers oversized headers the same way', async () => {
    const res = await raw(`GET /api/v3/ping HTTP/1.1\r\nHost: gw\r\nCookie: ${'c'.repeat(20_000)}\r\n\r\n`);
    expect(res.status).toBe(431);
    expect(res.body.statusCode).toBe(431);
  });

  it('answers bytes that are not HTTP with 400 in the envelope', async () => {
    const res = await raw('HELLO\r\n\r\n');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ apiVersion: 'v3', statusCode: 400, message: expect.stringMatching(/^malformed HTTP request \(HPE_/) });
  });
});
