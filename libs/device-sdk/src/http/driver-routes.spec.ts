import { Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { z } from 'zod';
import { ErrorKind, GatewayError } from '@gw/contracts';
import { createLogger, createServiceApp, listenService } from '@gw/service-kit';
import { driverRoute, DriverRoute } from '../driver/routes';
import { driverRoutePrefix, mountDriverRoutes } from './driver-routes';

@Module({})
class EmptyModule {}

const KEY = 'route-test-key';
const auth = { 'x-api-key': KEY };

const routes: DriverRoute[] = [
  driverRoute({
    method: 'GET',
    path: 'things',
    query: z.object({ depth: z.coerce.number().int().min(1).max(5), name: z.string().optional() }),
    handle: async ({ query }) => ({ json: { depth: query.depth, name: query.name ?? null } }),
  }),
  driverRoute({
    method: 'PUT',
    path: 'things/:id/label',
    body: z.object({ label: z.string().max(10) }).strict(),
    maxBody: 200,
    handle: async ({ params, body }) => ({ json: { id: params.id, label: body.label } }),
  }),
  driverRoute({
    method: 'DELETE',
    path: 'things/:id',
    handle: async ({ params }) => {
      throw new GatewayError(ErrorKind.EntityNotFound, `no thing ${params.id}`);
    },
  }),
  driverRoute({
    method: 'GET',
    path: 'things/:id/file.der',
    handle: async () => ({ content: new Uint8Array([1, 2, 3]), contentType: 'application/pkix-cert', fileName: 'own.der' }),
  }),
];

describe('driver routes', () => {
  let app: NestFastifyApplication;
  let base: string;

  beforeAll(async () => {
    const config = { serviceName: 'device-test', host: '127.0.0.1', port: 0, logLevel: 'silent' as const, maxBody: 4096, apiKey: KEY };
    app = await createServiceApp({ module: EmptyModule, version: '0', config, logger: createLogger('t', 'silent'), shutdownHooks: false });
    expect(mountDriverRoutes(app.getHttpAdapter().getInstance(), 'test', routes)).toEqual([
      'GET /api/v3/test/things',
      'PUT /api/v3/test/things/:id/label',
      'DELETE /api/v3/test/things/:id',
      'GET /api/v3/test/things/:id/file.der',
    ]);
    await app.init();
    base = `${await listenService(app, config)}/api/v3/test`;
  });
  afterAll(() => app.close());

  it('answers JSON in the EdgeX envelope with the query validated and typed', async () => {
    const res = await fetch(`${base}/things?depth=3&name=a`, { headers: auth });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ apiVersion: 'v3', statusCode: 200, depth: 3, name: 'a' });
  });

  it('needs the API key like every other route', async () => {
    const res = await fetch(`${base}/things?depth=3`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ apiVersion: 'v3', statusCode: 401, message: expect.stringContaining('missing API key') });
  });

  it('refuses a bad query parameter with a 400 naming it', async () => {
    const res = await fetch(`${base}/things?depth=9`, { headers: auth });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/^query parameter depth: /);
    const missing = await fetch(`${base}/things`, { headers: auth });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { message: string }).message).toMatch(/^query parameter depth: /);
  });

  it('validates the body, naming the field, and bounds it', async () => {
    const put = (body: string) => fetch(`${base}/things/7/label`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body });
    const ok = await put(JSON.stringify({ label: 'hot' }));
    expect(await ok.json()).toEqual({ apiVersion: 'v3', statusCode: 200, id: '7', label: 'hot' });
    const bad = await put(JSON.stringify({ label: 'far too long a label' }));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/^body field label: /);
    const extra = await put(JSON.stringify({ label: 'x', other: 1 }));
    expect(((await extra.json()) as { message: string }).message).toBe('body field other: unknown field');
    const big = await put(JSON.stringify({ label: 'x'.repeat(300) }));
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ apiVersion: 'v3', statusCode: 413 });
    const none = await fetch(`${base}/things/7/label`, { method: 'PUT', headers: auth });
    expect(none.status).toBe(400);
  });

  it('turns a handler error kind into its status in the envelope', async () => {
    const res = await fetch(`${base}/things/9`, { method: 'DELETE', headers: auth });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ apiVersion: 'v3', statusCode: 404, message: 'no thing 9' });
  });

  it('refuses a body on a route that takes none', async () => {
    const res = await fetch(`${base}/things/9`, { method: 'DELETE', headers: { ...auth, 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(res.status).toBe(400);
  });

  it('sends content of its own type as is', async () => {
    const res = await fetch(`${base}/things/1/file.der`, { headers: auth });
    expect(res.headers.get('content-type')).toBe('application/pkix-cert');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="own.der"');
    expect([...new Uint8Array(await res.arrayBuffer())]).toEqual([1, 2, 3]);
  });
});

describe('driver route checks', () => {
  const fastify = { route: jest.fn() } as never;
  const one = [routes[0]];

  it('takes the driver name, else the service name without device-', () => {
    expect(driverRoutePrefix('opcua', 'device-plc')).toBe('opcua');
    expect(driverRoutePrefix(undefined, 'device-zigbee')).toBe('zigbee');
  });

  it('refuses prefixes the device service API uses, malformed paths and duplicates', () => {
    expect(() => mountDriverRoutes(fastify, 'device', one)).toThrow(/prefix "device" is not allowed/);
    expect(() => mountDriverRoutes(fastify, 'Bad/x', one)).toThrow(/not allowed/);
    expect(() => mountDriverRoutes(fastify, 'ok', [{ ...routes[0], path: '../x y' }])).toThrow(/malformed/);
    expect(() => mountDriverRoutes(fastify, 'ok', [routes[2], { ...routes[2], path: 'things/:other' }])).toThrow(/declared twice/);
  });
});
