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
 * Without one, only a Host that is localhost, an IP address or in
 * GW_CONSOLE_ALLOWED_HOSTS is answered (DNS rebinding). Either way an /api/
 * request a browser marks as coming from another site is refused, as are
 * paths that could climb out of a service's /api/v3 (dot segments, encoded
 * slashes).
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo, isIP } from 'node:net';
import { ErrorKind, GatewayError } from '@gw/contracts';
import type { MessageBus } from '@gw/messaging';
import { keyMatches, presentedKey } from '@gw/service-kit/auth';
import { listenError } from '@gw/service-kit/listen-error';
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
  [ErrorKind.Timeout]: 504,
};

/** A dot segment, plain or %-encoded: `/api/metadata/../x` would climb out of the service's /api/v3. */
const DOT_SEGMENT = /^(\.|%2e){1,2}$/i;
/** An encoded slash or backslash would become a path separator at the service. */
const ENCODED_SEPARATOR = /%2f|%5c|\\/i;

export async function startConsole(config: ConsoleRunConfig, deps: { bus: MessageBus; logger: Logger }): Promise<RunningConsole> {
  const { logger } = deps;
  const targets: Record<ServiceName, ProxyTarget | undefined> = {
    metadata: { baseUrl: config.metadataUrl, apiKey: config.apiKey, timeoutMs: config.upstreamTimeout },
    'core-data': { baseUrl: config.coreDataUrl, apiKey: config.apiKey, timeoutMs: config.upstreamTimeout },
    'core-command': { baseUrl: config.coreCommandUrl, apiKey: config.apiKey, timeoutMs: config.upstreamTimeout },
    'app-service': config.appServiceUrl ? { baseUrl: config.appServiceUrl, apiKey: config.apiKey, timeoutMs: config.upstreamTimeout } : undefined,
  };
  const files = new StaticFiles(config.webDir ?? defaultWebDir());
  const metadata = new MetadataClient({ baseUrl: config.metadataUrl, apiKey: config.apiKey, timeoutMs: config.upstreamTimeout });
  const addresses = new DeviceServiceAddresses(metadata);
  const live = new LiveEvents(deps.bus, { maxClients: config.maxClients, clientQueue: config.clientQueue, topicBase: config.topicBase }, logger);
  await live.start();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const raw = req.url ?? '/';
    let pathname: string;
    let search: string;
    try {
      // Prefixed, not resolved against a base: `//x` stays a path (not a host), `..` is kept to be refused below.
      ({ pathname, search } = new URL(`http://console${raw.startsWith('/') ? raw : `/${raw}`}`));
    } catch {
      return sendJson(res, 400, { statusCode: 400, message: 'malformed request path' });
    }
    // Health checks, open as on every service (bin/healthcheck.js asks /ready): answering means serving.
    if ((pathname === '/api/v3/ping' || pathname === '/api/v3/ready') && (req.method === 'GET' || req.method === 'HEAD')) {
      return sendJson(res, 200, { apiVersion: 'v3', statusCode: 200, serviceName: 'console' });
    }
    // Without a key the console is open to whoever reaches it by a name it knows; a rebound DNS name is not one.
    if (!config.apiKey && !hostAllowed(req.headers.host, config.allowedHosts ?? [])) {
      return sendJson(res, 403, { statusCode: 403, message: `Host ${JSON.stringify(req.headers.host ?? '')} is not allowed without an API key: add it to GW_CONSOLE_ALLOWED_HOSTS, or set GW_API_KEY` });
    }
    if (!pathname.startsWith('/api/')) {
      const head = req.method === 'HEAD';
      if ((req.method === 'GET' || head) && files.serve(pathname, res, head)) return;
      return sendJson(res, 404, { statusCode: 404, message: `no page ${pathname}` });
    }
    // Only the console's own page calls its APIs: a request the browser marks as made by another site's page
    // (an <img> reading a device, a form posted to an open console) is refused, whatever its method.
    const fetchSite = req.headers['sec-fetch-site'];
    if (fetchSite === 'cross-site' || fetchSite === 'same-site') {
      return sendJson(res, 403, { statusCode: 403, message: `request from another site's page refused (Sec-Fetch-Site: ${fetchSite})` });
    }
    // Browsers without Sec-Fetch-Site still send Origin with a change.
    if (req.method !== 'GET' && req.method !== 'HEAD' && crossSite(req)) {
      return sendJson(res, 403, { statusCode: 403, message: `cross-site ${req.method} refused (Origin ${req.headers.origin})` });
    }
    // Checked on the path as sent: `..`, `%2e%2e` or an encoded slash would climb out of /api/v3 on the service.
    const rawPath = raw.split('?')[0];
    if (ENCODED_SEPARATOR.test(rawPath) || rawPath.split('/').some((segment) => DOT_SEGMENT.test(segment))) {
      return sendJson(res, 400, { statusCode: 400, message: 'path segments . and .. and encoded slashes (%2F, %5C) are not allowed' });
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
      return proxy(req, res, { baseUrl: baseAddress, apiKey: config.apiKey, timeoutMs: config.upstreamTimeout }, path.join('/'), search, `device service ${name}`);
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
      const status = results.every((r) => r.statusCode < 300) ? 201 : 207;
      return sendJson(res, status, { statusCode: status, results });
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
  server.headersTimeout = 30_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(consoleListenError(err, config.host, config.port)));
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

/** A port taken or not allowed: a setting to change, naming the console's own variables. */
function consoleListenError(err: unknown, host: string, port: number): unknown {
  const refined = listenError(err, host, port);
  if (!GatewayError.is(refined, ErrorKind.Config)) return refined;
  return new GatewayError(ErrorKind.Config, `web console: ${refined.message}: choose another port with GW_CONSOLE_PORT, or leave the console out with GW_CONSOLE=false`, { cause: err });
}

/** localhost (and *.localhost), any IP address (DNS rebinding needs a name), or a name in GW_CONSOLE_ALLOWED_HOSTS (`.example.com`: it and below). */
function hostAllowed(hostHeader: string | undefined, allowed: readonly string[]): boolean {
  if (!hostHeader) return false;
  let hostname: string;
  try {
    hostname = new URL(`http://${hostHeader}`).hostname.toLowerCase();
  } catch {
    return false;
  }
  const bare = hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  if (bare === 'localhost' || bare.endsWith('.localhost') || isIP(bare) !== 0) return true;
  return allowed.some((name) => (name.startsWith('.') ? bare === name.slice(1) || bare.endsWith(name) : bare === name));
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
