/**
 * The web console's server (plain node:http, no framework: it only routes):
 *   /                       the single-page app (dist/console)
 *   /api/console/session    200 when the browser's key is right (or none is needed), else 401
 *   /api/console/events     live device events (server-sent events), `?device=<name>` for one device
 *   /api/console/figures    the live streams' figures (clients, delivered, dropped, refused)
 *   /api/console/devicefile?name=<file>  POST a device definition file (YAML): parsed here, added in core-metadata
 *   /api/<service>/...      core-metadata, core-data, core-command, app-service: their /api/v3/...
 *   /api/deviceservice/<name>/...  a device service's /api/v3/..., at the address it registered
 *   /api/v3/ping, /api/v3/ready    health checks (open, as on every service)
 * With an API key set, every /api/ route needs it (Authorization: Bearer or
 * X-API-Key, as the services themselves); the page itself asks for it and
 * keeps it in the tab's sessionStorage. The key is never written into a page.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorKind, GatewayError } from '@gw/contracts';
import type { MessageBus } from '@gw/messaging';
import { keyMatches, presentedKey } from '@gw/service-kit/auth';
import type { Logger } from '@gw/service-kit/logger';
import { MetadataClient } from '@gw/clients';
import type { ConsoleSettings } from './config';
import { addDeviceFile } from './device-file';
import { DeviceServiceAddresses } from './device-service-addresses';
import { LiveEvents, LiveEventsFigures } from './live-events';
import { proxy, ProxyTarget, sendJson } from './proxy';
import { defaultWebDir, StaticFiles } from './static-files';

export interface ConsoleRunConfig extends ConsoleSettings {
  host: string;
  port: number;
  apiKey?: string;
  /** Largest device file accepted (GW_MAX_BODY). */
  maxBody: number;
  topicBase: string;
  metadataUrl: string;
  coreDataUrl: string;
  coreCommandUrl: string;
  /** Unset: the app-service pages say there is none. */
  appServiceUrl?: string;
}

export interface RunningConsole {
  url: string;
  figures(): LiveEventsFigures;
  close(): Promise<void>;
}

const SERVICES = ['metadata', 'core-data', 'core-command', 'app-service'] as const;
type ServiceName = (typeof SERVICES)[number];

const STATUS: Partial<Record<ErrorKind, number>> = {
  [ErrorKind.ContractInvalid]: 400,
  [ErrorKind.Unauthorized]: 401,
  [ErrorKind.EntityNotFound]: 404,
  [ErrorKind.PayloadTooLarge]: 413,
  [ErrorKind.DuplicateName]: 409,
  [ErrorKind.ServiceUnavailable]: 503,
};

export async function startConsole(config: ConsoleRunConfig, deps: { bus: MessageBus; logger: Logger }): Promise<RunningConsole> {
  const { logger } = deps;
  const targets: Record<ServiceName, ProxyTarget | undefined> = {
    metadata: { baseUrl: config.metadataUrl, apiKey: config.apiKey },
    'core-data': { baseUrl: config.coreDataUrl, apiKey: config.apiKey },
    'core-command': { baseUrl: config.coreCommandUrl, apiKey: config.apiKey },
    'app-service': config.appServiceUrl ? { baseUrl: config.appServiceUrl, apiKey: config.apiKey } : undefined,
  };
  const files = new StaticFiles(config.webDir ?? defaultWebDir());
  const addresses = new DeviceServiceAddresses(config.metadataUrl, config.apiKey);
  const metadata = new MetadataClient({ baseUrl: config.metadataUrl, apiKey: config.apiKey });
  const live = new LiveEvents(deps.bus, { maxClients: config.maxClients, clientQueue: config.clientQueue, topicBase: config.topicBase }, logger);
  await live.start();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const { pathname, search } = new URL(req.url ?? '/', 'http://console');
    // Health checks, open as on every service (bin/healthcheck.js asks /ready): answering means serving.
    if ((pathname === '/api/v3/ping' || pathname === '/api/v3/ready') && (req.method === 'GET' || req.method === 'HEAD')) {
      return sendJson(res, 200, { apiVersion: 'v3', statusCode: 200, serviceName: 'console' });
    }
    if (!pathname.startsWith('/api/')) {
      const head = req.method === 'HEAD';
      if ((req.method === 'GET' || head) && files.serve(pathname, res, head)) return;
      return sendJson(res, 404, { statusCode: 404, message: `no page ${pathname}` });
    }
    // A page of another site may not make the browser change anything here (a form posted to an open console).
    if (req.method !== 'GET' && req.method !== 'HEAD' && crossSite(req)) {
      return sendJson(res, 403, { statusCode: 403, message: `cross-site ${req.method} refused (Origin ${req.headers.origin})` });
    }
    // `..` would climb out of /api/v3 on the service.
    if (pathname.split('/').some((segment) => /^(\.|%2e){1,2}$/i.test(segment))) {
      return sendJson(res, 400, { statusCode: 400, message: 'path segments . and .. are not allowed' });
    }
    if (config.apiKey && !keyMatches(presentedKey(req.headers), config.apiKey)) {
      const missing = presentedKey(req.headers) === undefined;
      return sendJson(res, 401, { statusCode: 401, message: missing ? 'missing API key: send Authorization: Bearer <key> or X-API-Key' : 'invalid API key' });
    }
    const [, , first, ...rest] = pathname.split('/');
    if (first === 'console') return consoleRoute(rest.join('/'), new URLSearchParams(search), req, res);
    if (first === 'deviceservice') {
      const [name, ...path] = rest;
      const baseAddress = await addresses.baseAddress(decodeURIComponent(name ?? ''));
      return proxy(req, res, { baseUrl: baseAddress, apiKey: config.apiKey }, path.join('/'), search, `device service ${name}`);
    }
    if ((SERVICES as readonly string[]).includes(first)) {
      const target = targets[first as ServiceName];
      if (!target) return sendJson(res, 404, { statusCode: 404, message: `this console fronts no ${first}` });
      return proxy(req, res, target, rest.join('/'), search, first);
    }
    sendJson(res, 404, { statusCode: 404, message: `no API ${pathname}: expected /api/{${SERVICES.join(',')},deviceservice/<name>,console}/...` });
  };

  const consoleRoute = async (route: string, query: URLSearchParams, req: IncomingMessage, res: ServerResponse) => {
    if (route === 'devicefile' && req.method === 'POST') {
      const results = await addDeviceFile(req, query.get('name') ?? 'devices.yaml', config.maxBody, metadata);
      return sendJson(res, results.every((r) => r.statusCode < 300) ? 201 : 207, { statusCode: 207, results });
    }
    if (req.method !== 'GET') return sendJson(res, 405, { statusCode: 405, message: `${req.method} /api/console/${route} is not allowed` });
    if (route === 'session') return sendJson(res, 200, { statusCode: 200, auth: Boolean(config.apiKey), appService: Boolean(config.appServiceUrl) });
    if (route === 'figures') return sendJson(res, 200, { statusCode: 200, live: live.figures() });
    if (route === 'events') return live.open(res, query.get('device') ?? undefined);
    sendJson(res, 404, { statusCode: 404, message: `no API /api/console/${route}` });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = GatewayError.is(err) ? (STATUS[err.kind] ?? 502) : err instanceof URIError ? 400 : 502;
      if (status >= 500) logger.warn({ err: (err as Error).message, url: req.url }, 'console request failed');
      if (res.headersSent) res.destroy();
      else sendJson(res, status, { statusCode: status, message: (err as Error).message });
    });
  });
  // Live streams stay open; only the time to send headers is bounded.
  server.requestTimeout = 0;
  server.headersTimeout = 30_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await live.close();
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const url = `http://${shownHost}:${port}`;
  logger.info({ url, auth: Boolean(config.apiKey) }, 'web console listening');
  return {
    url,
    figures: () => live.figures(),
    close: async () => {
      await live.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A browser's request from a page of another origin (browsers always send Origin with a cross-site POST, PUT, PATCH, DELETE). */
function crossSite(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    return true;
  }
}
