/**
 * The routes fastify registered for a service app, as `GET /api/v3/device/name/:name`
 * (HEAD twins left out), and the route list its document is built from: what
 * the drift and contract tests compare with the served OpenAPI document.
 */
import type { FastifyInstance } from 'fastify';
import type { ServiceApi } from './api-routes';

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

const APIS = new WeakMap<object, () => Promise<ServiceApi>>();

export function recordApi(app: object, api: () => Promise<ServiceApi>): void {
  APIS.set(app, api);
}

/** The routes (with their zod schemas) a service app's document is built from, common ones included. */
export async function documentedApi(app: object): Promise<ServiceApi | undefined> {
  return APIS.get(app)?.();
}
