/**
 * The routes fastify registered for a service app, as `GET /api/v3/device/name/:name`
 * (HEAD twins left out): what the drift test compares with the OpenAPI document.
 */
import type { FastifyInstance } from 'fastify';

const ROUTES = new WeakMap<object, Array<{ method: string; url: string }>>();

export function recordRoutes(app: object, fastify: FastifyInstance): void {
  const routes: Array<{ method: string; url: string }> = [];
  ROUTES.set(app, routes);
  fastify.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push({ method, url: route.url });
  });
}

/** The routes registered so far on a service app made by createServiceApp. */
export function registeredRoutes(app: object): ReadonlyArray<{ method: string; url: string }> {
  return ROUTES.get(app) ?? [];
}
