/**
 * Optional API-key protection. With a key configured (GW_API_KEY or
 * GW_API_KEY_FILE), every request except GET /api/v3/ping and /ready (health checks) and
 * the Swagger UI page /api/v3/docs (its files, not the document it shows) must
 * carry `Authorization: Bearer <key>` or `X-API-Key: <key>`. Without one (the
 * embedded default) nothing is checked.
 *
 * It is a fastify onRequest hook rather than a Nest guard so an unauthenticated
 * request is refused before its body is read or parsed, and unknown routes are
 * covered too (a 404 would otherwise tell a stranger which paths exist).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { ErrorKind, GatewayError } from '@gw/contracts';

export const OPEN_ROUTES: ReadonlyArray<{ method: string; url: string }> = [
  { method: 'GET', url: '/api/v3/ping' },
  { method: 'HEAD', url: '/api/v3/ping' },
  // Readiness probes carry no credentials either; the answer names dependencies, never data.
  { method: 'GET', url: '/api/v3/ready' },
  { method: 'HEAD', url: '/api/v3/ready' },
  // Swagger UI's page and files (openapi/serve.ts): swagger-ui's own, nothing of the service; the
  // document they load, /api/v3/openapi.json, needs the key like every other route.
  { method: 'GET', url: '/api/v3/docs' },
  { method: 'HEAD', url: '/api/v3/docs' },
  { method: 'GET', url: '/api/v3/docs/:file' },
  { method: 'HEAD', url: '/api/v3/docs/:file' },
];

/** Digests first: equal lengths for timingSafeEqual, and no early exit that leaks the key's length. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export function presentedKey(headers: FastifyRequest['headers']): string | undefined {
  const apiKey = headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey !== '') return apiKey;
  const match = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '');
  return match ? match[1].trim() : undefined;
}

export function keyMatches(presented: string | undefined, expected: string): boolean {
  return presented !== undefined && timingSafeEqual(digest(presented), digest(expected));
}

function isOpen(request: FastifyRequest): boolean {
  const route = request.routeOptions.url;
  return OPEN_ROUTES.some((r) => r.method === request.method && r.url === route);
}

export function apiKeyHook(expected: string): onRequestAsyncHookHandler {
  return async (request) => {
    if (isOpen(request)) return;
    const presented = presentedKey(request.headers);
    if (presented === undefined) {
      throw new GatewayError(ErrorKind.Unauthorized, 'missing API key: send Authorization: Bearer <key> or X-API-Key');
    }
    if (!keyMatches(presented, expected)) {
      throw new GatewayError(ErrorKind.Unauthorized, 'invalid API key');
    }
  };
}
