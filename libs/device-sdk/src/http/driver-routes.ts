/**
 * Serves a driver's own REST routes (driver/routes.ts) under
 * `/api/v3/<driver name>/`. They are plain fastify routes on the service's
 * instance, so the service's onRequest hooks (API key, correlation id,
 * metrics) and its error handling (Nest's filter: the EdgeX envelope) apply
 * to them as to every other route. Query and body go through the route's
 * schemas first; a body is refused beyond the route's own limit.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodType } from 'zod';
import { ErrorKind, GatewayError } from '@gw/contracts';
import { formatPath, zodProblems } from '@gw/contracts/problems';
import { API_PREFIX, okResponse } from '@gw/service-kit';
import { DEFAULT_DRIVER_ROUTE_BODY, DriverReply, DriverRoute } from '../driver/routes';

const PREFIX = /^[a-z][a-z0-9-]{0,31}$/;
const SEGMENT = /^:?[A-Za-z0-9_.-]+$/;
/** First path segments the device service's own API uses: a driver may not shadow them. */
const RESERVED = new Set(['device', 'discovery', 'validate', 'ping', 'version', 'config', 'metrics', 'ready', 'secret', 'callback', 'profilescan']);

/** The prefix a driver's routes get: its name (`opcua`), else the service name without `device-`. */
export function driverRoutePrefix(driverName: string | undefined, serviceName: string): string {
  return (driverName ?? serviceName.replace(/^device-/, '')).toLowerCase();
}

/**
 * Adds the routes to fastify (before the app listens) and returns their URLs.
 * A prefix or path that is malformed, reserved or taken twice is a Config error: a bug of the driver, found at boot.
 */
export function mountDriverRoutes(fastify: FastifyInstance, prefix: string, routes: readonly DriverRoute[]): string[] {
  if (routes.length === 0) return [];
  if (!PREFIX.test(prefix) || RESERVED.has(prefix)) {
    throw new GatewayError(ErrorKind.Config, `driver routes: prefix "${prefix}" is not allowed (lowercase letters, digits and -, not ${[...RESERVED].join(', ')})`);
  }
  const seen = new Set<string>();
  return routes.map((route) => {
    const segments = route.path.split('/');
    if (!segments.every((s) => SEGMENT.test(s))) throw new GatewayError(ErrorKind.Config, `driver routes: path "${route.path}" is malformed`);
    const url = `/${API_PREFIX}/${prefix}/${route.path}`;
    const key = `${route.method} ${url.replace(/:[^/]+/g, ':')}`;
    if (seen.has(key)) throw new GatewayError(ErrorKind.Config, `driver routes: ${route.method} ${url} is declared twice`);
    seen.add(key);
    fastify.route({
      method: route.method,
      url,
      bodyLimit: route.maxBody ?? DEFAULT_DRIVER_ROUTE_BODY,
      handler: (request, reply) => handle(route, request, reply),
    });
    return `${route.method} ${url}`;
  });
}

async function handle(route: DriverRoute, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const query = route.query ? check(route.query, request.query ?? {}, 'query parameter') : request.query;
  let body: unknown;
  if (route.body) {
    if (request.body === undefined || request.body === null) throw new GatewayError(ErrorKind.ContractInvalid, 'request body is required (application/json)');
    body = check(route.body, request.body, 'body field');
  } else if (request.body !== undefined && request.body !== null && request.body !== '') {
    throw new GatewayError(ErrorKind.ContractInvalid, `${route.method} ${request.routeOptions.url} takes no request body`);
  }
  const answer = await route.handle({ params: (request.params ?? {}) as Record<string, string>, query, body });
  return send(answer, reply);
}

function check(schema: ZodType, value: unknown, what: string): unknown {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const message = zodProblems(parsed.error)
    .map((p) => (p.path.length ? `${what} ${formatPath('', p.path)}: ${p.message}` : `${what}s: ${p.message}`))
    .join('; ');
  throw new GatewayError(ErrorKind.ContractInvalid, message);
}

function send(answer: DriverReply, reply: FastifyReply): unknown {
  const status = answer.status ?? 200;
  reply.status(status);
  if ('json' in answer) return okResponse(answer.json, status);
  reply.type(answer.contentType);
  if (answer.fileName) reply.header('content-disposition', `attachment; filename="${answer.fileName.replace(/["\\\r\n]/g, '_')}"`);
  return typeof answer.content === 'string' ? answer.content : Buffer.from(answer.content.buffer, answer.content.byteOffset, answer.content.byteLength);
}
