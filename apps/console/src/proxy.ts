/**
 * The services' REST APIs under the console's origin: `/api/<service>/<path>`
 * goes to `<service URL>/api/v3/<path>` with the query string, method and body
 * as sent (streamed: a profile upload is not buffered here). The browser's
 * own credentials and cookies are not passed on; the console adds the
 * services' API key itself, so a browser needs no CORS and the key reaches
 * the services only from the server.
 *
 * A service that stays silent longer than `timeoutMs` is answered 504 naming
 * it; one that refuses the console's key (401/403) is a 502 (the browser's own
 * key is fine: the console checked it); one that drops its answer halfway ends
 * the browser's answer too. Answers are served as data, never as a page of the
 * console's origin (nosniff, a sandboxing Content-Security-Policy).
 */
import { IncomingMessage, request as httpRequest, ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { pipeline } from 'node:stream';

/** Request headers passed on to a service (everything else, credentials and cookies above all, stays here). */
const FORWARDED_REQUEST = ['content-type', 'content-length', 'accept', 'x-correlation-id'];
/** Response headers passed back to the browser. */
const FORWARDED_RESPONSE = ['content-type', 'content-length', 'content-disposition', 'x-correlation-id', 'retry-after'];
/** A service's answer is data: never sniffed into HTML, and even if opened as a page it runs nothing. */
const PROXIED_ANSWER_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "sandbox; default-src 'none'",
};

export interface ProxyTarget {
  /** The service's base URL, without /api/v3. */
  baseUrl: string;
  apiKey?: string;
  /** How long the service may stay silent (connecting, answering, or between parts of its answer). */
  timeoutMs: number;
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
    const status = answer.statusCode ?? 502;
    if (status === 401 || status === 403) {
      // The browser's key was checked here: this is the service refusing ours, not a reason to sign the user out.
      answer.resume();
      return sendJson(res, 502, { statusCode: 502, message: `${name} refused the console's key (${status}): is GW_API_KEY the same for the console and ${name}?` });
    }
    const back: Record<string, string> = { ...PROXIED_ANSWER_HEADERS };
    for (const header of FORWARDED_RESPONSE) {
      const value = answer.headers[header];
      if (typeof value === 'string') back[header] = value;
    }
    res.writeHead(status, back);
    // A service that drops its answer halfway: end the browser's too, instead of leaving it waiting.
    pipeline(answer, res, (err) => {
      if (err) res.destroy();
    });
  });
  upstream.setTimeout(target.timeoutMs, () => {
    upstream.destroy(Object.assign(new Error(`no answer within ${target.timeoutMs} ms`), { code: 'ETIMEDOUT' }));
  });
  upstream.on('error', (err: NodeJS.ErrnoException) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (err.code === 'ETIMEDOUT') {
      return sendJson(res, 504, { statusCode: 504, message: `${name} did not answer within ${target.timeoutMs} ms (GW_CONSOLE_UPSTREAM_TIMEOUT)` });
    }
    sendJson(res, 502, { statusCode: 502, message: `${name} is not reachable at ${target.baseUrl}: ${err.code ?? err.message}` });
  });
  res.on('close', () => upstream.destroy());
  req.pipe(upstream);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}
