/**
 * CORS, off unless origins are configured (GW_CORS_ORIGINS): no
 * Access-Control-* header at all otherwise. An allowed origin gets them on
 * every answer (a 401 included, so the page can tell a missing key from a
 * network error), and its preflight is answered here, before the API key
 * check, since a browser never sends credentials with a preflight. Any other
 * origin gets none, so the browser keeps its page out.
 *
 * A hook of our own rather than @fastify/cors: that plugin answers preflights
 * through an `OPTIONS *` route it adds before Nest installs its error handler,
 * so an error on that route (a missing API key) would leave without the EdgeX
 * envelope.
 */
import type { FastifyInstance } from 'fastify';

/** What our routes use: EdgeX's methods, the two ways to send the API key, JSON/YAML bodies, the correlation id. */
export const CORS_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE';
export const CORS_HEADERS = 'Authorization, X-API-Key, Content-Type, X-Correlation-ID';
/** How long a browser may reuse a preflight answer, in seconds. */
const PREFLIGHT_MAX_AGE = 600;

/** Adds the CORS hook for `origins` (`*` = any); add it before the API key hook. */
export function enableCors(fastify: FastifyInstance, origins: string[]): void {
  const any = origins.includes('*');
  const allowed = new Set(origins);
  fastify.addHook('onRequest', async (request, reply) => {
    // The answer depends on Origin: caches must keep one per origin.
    reply.header('Vary', 'Origin');
    const origin = request.headers.origin;
    if (origin === undefined || !(any || allowed.has(origin))) return;
    reply.header('Access-Control-Allow-Origin', any ? '*' : origin);
    reply.header('Access-Control-Expose-Headers', 'X-Correlation-ID');
    if (request.method !== 'OPTIONS' || request.headers['access-control-request-method'] === undefined) return;
    reply.header('Access-Control-Allow-Methods', CORS_METHODS);
    reply.header('Access-Control-Allow-Headers', CORS_HEADERS);
    reply.header('Access-Control-Max-Age', String(PREFLIGHT_MAX_AGE));
    // Safari waits for a body on a 204 without Content-Length.
    return reply.code(204).header('Content-Length', '0').send();
  });
}
