/**
 * The services' REST APIs under the console's origin: `/api/<service>/<path>`
 * goes to `<service URL>/api/v3/<path>` with the query string, method and body
 * as sent (streamed: a profile upload is not buffered here). The browser's
 * own credentials and cookies are not passed on; the console adds the
 * services' API key itself, so a browser needs no CORS and the key reaches
 * the services only from the server.
 */
import { IncomingMessage, request as httpRequest, ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** Request headers passed on to a service (everything else, credentials and cookies above all, stays here). */
const FORWARDED_REQUEST = ['content-type', 'content-length', 'accept', 'x-correlation-id', 'transfer-encoding'];
/** Response headers passed back to the browser. */
const FORWARDED_RESPONSE = ['content-type', 'content-length', 'content-disposition', 'x-correlation-id', 'retry-after'];

export interface ProxyTarget {
  /** The service's base URL, without /api/v3. */
  baseUrl: string;
  apiKey?: string;
}

/** Sends `req` on to `target` at `/api/v3/<path><search>` and pipes the answer back; a service that cannot be reached is a 502 naming it. */
export function proxy(req: IncomingMessage, res: ServerResponse, target: ProxyTarget, path: string, search: string, name: string): void {
  const url = new URL(`${target.baseUrl.replace(/\/+$/, '')}/api/v3/${path}${search}`);
  const headers: Record<string, string> = {};
  for (const header of FORWARDED_REQUEST) {
    const value = req.headers[header];
    if (typeof value === 'string') headers[header] = value;
  }
  if (target.apiKey) headers['x-api-key'] = target.apiKey;
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const upstream = send(url, { method: req.method, headers }, (answer) => {
    const back: Record<string, string> = { 'cache-control': 'no-store' };
    for (const header of FORWARDED_RESPONSE) {
      const value = answer.headers[header];
      if (typeof value === 'string') back[header] = value;
    }
    res.writeHead(answer.statusCode ?? 502, back);
    answer.pipe(res);
  });
  upstream.on('error', (err) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendJson(res, 502, { statusCode: 502, message: `${name} is not reachable at ${target.baseUrl}: ${(err as NodeJS.ErrnoException).code ?? err.message}` });
  });
  res.on('close', () => upstream.destroy());
  req.pipe(upstream);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}
