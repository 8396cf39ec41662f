/**
 * Every route a service serves is in its OpenAPI document and every operation
 * of the document is a route it serves, so the document cannot drift from
 * the code; operation ids are unique. Run on the one-process gateway, where
 * each service keeps its own port and document; with an API key set, the
 * document needs it like every route and the Swagger UI page does not.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { DOCS_FILE_ROUTE, registeredRoutes } from '@gw/service-kit';
import { RunningGateway, startGateway } from '../../apps/gateway/src/gateway';
import { testGatewayConfig } from '../support/gateway';
import { quietLogger } from '../support/quiet-logger';
import { servedServices } from './served-services';

const KEY = 'openapi-test-key';
const CHROMIUM = process.env.GW_TEST_CHROMIUM ?? '/usr/bin/chromium';
const auth = { 'x-api-key': KEY };

interface Document {
  openapi: string;
  paths: Record<string, Record<string, { operationId: string; security?: unknown[] }>>;
  components: { securitySchemes: Record<string, { type: string; in?: string; name?: string; scheme?: string }> };
}

/** `/device/name/{name}` -> `GET /api/v3/device/name/:`, `/api/v3/device/name/:name` the same way. */
const normalise = (method: string, path: string) => `${method.toUpperCase()} ${path.replace(/\{[^}]+\}|:[^/]+/g, ':')}`;

describe('served OpenAPI documents', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-openapi-'));
  let gateway: RunningGateway;

  beforeAll(async () => {
    gateway = await startGateway(testGatewayConfig(dataDir, { GW_API_KEY: KEY }), quietLogger('gateway'));
  });

  afterAll(async () => {
    await gateway?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('documents every served route of every service and nothing else, with unique operation ids', async () => {
    const services = servedServices(gateway);
    expect(services.map((s) => s.name)).toEqual(expect.arrayContaining(['core-metadata', 'core-data', 'core-command', 'device-virtual', 'app-service']));
    for (const service of services) {
      const res = await fetch(`${service.url}/api/v3/openapi.json`, { headers: auth });
      expect(res.status).toBe(200);
      const doc = (await res.json()) as Document;
      expect(doc.openapi).toBe('3.1.0');
      const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => normalise(method, `/api/v3${path}`)));
      const served = registeredRoutes(service.app)
        .filter((r) => r.url !== DOCS_FILE_ROUTE && r.method !== 'OPTIONS')
        .map((r) => normalise(r.method, r.url));
      expect({ service: service.name, routes: [...new Set(served)].sort() }).toEqual({ service: service.name, routes: [...new Set(documented)].sort() });
      expect(documented.length).toBe(new Set(documented).size);
      const ids = Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((op) => op.operationId));
      expect(new Set(ids).size).toBe(ids.length);
    }
  });

  it('declares the API key schemes auth.ts accepts; the document needs the key, the docs page does not', async () => {
    const url = gateway.metadata.url + '/api/v3';
    expect((await fetch(`${url}/openapi.json`)).status).toBe(401);
    const doc = (await (await fetch(`${url}/openapi.json`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as Document;
    expect(doc.components.securitySchemes).toEqual({
      apiKey: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-API-Key' }),
      bearer: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    });
    expect(doc.paths['/ping'].get.security).toEqual([]);
    expect(doc.paths['/device/all'].get.security).toBeUndefined();

    const page = await fetch(`${url}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    for (const asset of html.match(/docs\/[\w.-]+/g)!) {
      const file = await fetch(`${url}/${asset}`);
      expect({ asset, status: file.status }).toEqual({ asset, status: 200 });
    }
    expect((await fetch(`${url}/docs/package.json`)).status).toBe(404);
    expect((await fetch(`${url}/docs/..%2Fpackage.json`)).status).toBe(404);
  });

  it('Swagger UI shows the document in a browser, asking for the key, loading nothing from elsewhere', async () => {
    const base = gateway.coreCommand.url;
    const browser = await chromium.launch({ executablePath: CHROMIUM });
    try {
      const page = await browser.newPage();
      const elsewhere: string[] = [];
      page.on('request', (request) => {
        if (!request.url().startsWith(base)) elsewhere.push(request.url());
      });
      // The page's content security policy must not stop Swagger UI (a refused script or style shows up here).
      const refused: string[] = [];
      page.on('console', (message) => {
        if (/Content Security Policy|Refused to/i.test(message.text())) refused.push(message.text());
      });
      const prompts: string[] = [];
      page.on('dialog', (dialog) => {
        prompts.push(dialog.message());
        void dialog.accept(KEY);
      });
      await page.goto(`${base}/api/v3/docs`);
      await page.getByText('/device/name/{name}/{command}').first().waitFor();
      expect(prompts).toEqual([expect.stringContaining('API key')]);
      expect(await page.locator('.opblock').count()).toBeGreaterThanOrEqual(4);
      expect(elsewhere).toEqual([]);
      expect(refused).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
