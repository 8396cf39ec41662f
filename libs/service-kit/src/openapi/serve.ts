/**
 * Serves a service's OpenAPI document at GET /api/v3/openapi.json (built on
 * the first request, then kept) and, unless GW_OPENAPI_UI=false, Swagger UI
 * at GET /api/v3/docs from the installed swagger-ui-dist (no CDN).
 *
 * Auth: the document follows the rule of every route (the API key when one
 * is set); the docs page and its static files are open, like ping: they are
 * swagger-ui's own files and hold nothing of the service. The page asks for
 * the key when the document answers 401 and keeps it for the browser tab.
 */
import { createReadStream } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { API_BASE, ServiceApi } from './api-routes';
import { DOCS_PATH, OPENAPI_JSON_PATH } from './common-routes';
import type { DocumentInfo } from './document';

/** swagger-ui-dist files the page uses, with their types; nothing else of the package is served. */
const UI_FILES: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};
/**
 * The page and its files: no frame may embed it (the saved API key makes "Try it out" worth clickjacking),
 * scripts from the service only; Swagger UI sets inline styles and shows data: images (the console's set, apps/console, otherwise).
 */
export const DOCS_SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** The route of the page's static files; not in the document (they are swagger-ui's, not the API). */
export const DOCS_FILE_ROUTE = `${API_BASE}${DOCS_PATH}/:file`;

const PAGE = `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <title>API documentation</title>
    <link rel="stylesheet" type="text/css" href="docs/swagger-ui.css" />
    <link rel="icon" type="image/png" href="docs/favicon-32x32.png" sizes="32x32" />
    <link rel="icon" type="image/png" href="docs/favicon-16x16.png" sizes="16x16" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="docs/swagger-ui-bundle.js" charset="UTF-8"></script>
    <script src="docs/init.js" charset="UTF-8"></script>
  </body>
</html>
`;

/** Loads the document (with the key the user gives when it answers 401), then Swagger UI on it, the key preset for "Try it out". */
const INIT = `(async function () {
  var KEY = 'gw-api-key';
  var key = sessionStorage.getItem(KEY) || '';
  var load = function () { return fetch('openapi.json', { headers: key ? { 'X-API-Key': key } : {} }); };
  var res = await load();
  while (res.status === 401) {
    key = window.prompt('This service needs its API key (GW_API_KEY):') || '';
    if (!key) break;
    res = await load();
  }
  var root = document.getElementById('swagger-ui');
  if (!res.ok) { root.textContent = 'Could not load openapi.json: HTTP ' + res.status; return; }
  if (key) sessionStorage.setItem(KEY, key);
  var ui = SwaggerUIBundle({ spec: await res.json(), dom_id: '#swagger-ui', deepLinking: true, presets: [SwaggerUIBundle.presets.apis], layout: 'BaseLayout' });
  if (key) ui.preauthorizeApiKey('apiKey', key);
})();
`;

export interface ServeOpenApiOptions {
  /** Called once, on the first request for the document. */
  api: () => Promise<ServiceApi>;
  info: DocumentInfo;
  /** Swagger UI at /api/v3/docs (GW_OPENAPI_UI). */
  ui: boolean;
}

export function serveOpenApi(fastify: FastifyInstance, options: ServeOpenApiOptions): void {
  let document: Promise<string> | undefined;
  fastify.get(`${API_BASE}${OPENAPI_JSON_PATH}`, async (_request, reply) => {
    document ??= Promise.all([import('./document'), options.api()]).then(([{ buildOpenApiDocument }, api]) => JSON.stringify(buildOpenApiDocument(api, options.info)));
    const text = await document.catch((err: unknown) => {
      document = undefined; // a failed build is tried again next time
      throw err;
    });
    return reply.type('application/json; charset=utf-8').send(text);
  });
  if (!options.ui) return;
  fastify.get(`${API_BASE}${DOCS_PATH}`, async (_request, reply) => reply.headers(DOCS_SECURITY_HEADERS).type('text/html; charset=utf-8').send(PAGE));
  fastify.get<{ Params: { file: string } }>(DOCS_FILE_ROUTE, async (request, reply) => {
    const { file } = request.params;
    reply.headers(DOCS_SECURITY_HEADERS);
    if (file === 'init.js') return reply.type('application/javascript; charset=utf-8').send(INIT);
    const type = Object.hasOwn(UI_FILES, file) ? UI_FILES[file] : undefined;
    if (!type) return reply.callNotFound();
    const folder = dirname(require.resolve('swagger-ui-dist/package.json'));
    return reply.type(type).header('cache-control', 'public, max-age=86400').send(createReadStream(join(folder, file)));
  });
}
