import { Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { z } from 'zod';
import { createServiceApp, listenService } from '../bootstrap';
import { createLogger } from '../logger';
import { ok200, okWith, ServiceApi } from './api-routes';

@Module({})
class EmptyModule {}

const api: ServiceApi = {
  title: 'test',
  description: 'a test service',
  routes: [{ method: 'get', path: '/things', operationId: 'things', summary: 'things', tag: 'things', ok: [ok200('things', okWith({ things: z.array(z.string()) }))] }],
};

async function start(openapiUi: boolean | undefined): Promise<{ app: NestFastifyApplication; base: string }> {
  const config = { serviceName: 'openapi-test', host: '127.0.0.1', port: 0, logLevel: 'silent' as const, maxBody: 4096, openapiUi };
  const app = await createServiceApp({ module: EmptyModule, api: () => api, version: '1.2.3', config, logger: createLogger('t', 'silent'), shutdownHooks: false });
  await app.init();
  return { app, base: `${await listenService(app, config)}/api/v3` };
}

describe('served OpenAPI document and Swagger UI', () => {
  const apps: NestFastifyApplication[] = [];
  afterAll(() => Promise.all(apps.map((app) => app.close())));

  it('serves the document with the common routes and the service own, and Swagger UI by default', async () => {
    const { app, base } = await start(undefined);
    apps.push(app);
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as { info: { title: string; version: string }; paths: Record<string, unknown> };
    expect(doc.info).toMatchObject({ title: 'openapi-test (test)', version: '1.2.3' });
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/ping', '/ready', '/version', '/config', '/metrics', '/secret', '/openapi.json', '/docs', '/things']));
    const page = await fetch(`${base}/docs`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('docs/swagger-ui-bundle.js');
    // Not framable, scripts of its own only, types not sniffed: the page and its files.
    for (const res of [page, await fetch(`${base}/docs/init.js`), await fetch(`${base}/docs/swagger-ui.css`)]) {
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self';");
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
    const bundle = await fetch(`${base}/docs/swagger-ui-bundle.js`);
    expect(bundle.headers.get('content-type')).toMatch(/javascript/);
    expect((await bundle.text()).length).toBeGreaterThan(100_000);
    // The files route is open (no key): only swagger-ui-dist's listed files, nothing else of the package or the disk.
    for (const probe of ['package.json', 'index.html', '..%2F..%2Fpackage.json', '..%2f..%2f..%2f..%2fetc%2fpasswd', 'swagger-ui-bundle.js.map', '%00']) {
      expect([probe, (await fetch(`${base}/docs/${probe}`)).status]).toEqual([probe, 404]);
    }
  });

  it('GW_OPENAPI_UI=false leaves Swagger UI out (404) and keeps the document, without the docs route', async () => {
    const { app, base } = await start(false);
    apps.push(app);
    const res = await fetch(`${base}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { paths: Record<string, unknown> };
    expect(doc.paths['/things']).toBeDefined();
    expect(doc.paths['/docs']).toBeUndefined();
    expect((await fetch(`${base}/docs`)).status).toBe(404);
    expect((await fetch(`${base}/docs/swagger-ui-bundle.js`)).status).toBe(404);
  });
});
