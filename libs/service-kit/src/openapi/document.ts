/**
 * Builds a service's OpenAPI 3.1 document from its ApiRoutes with
 * zod-to-openapi. Loaded on the first GET /api/v3/openapi.json only (a
 * dynamic import in ./serve.ts), so no service pays for it at boot.
 */
import { extendZodWithOpenApi, OpenApiGeneratorV31, RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z, ZodTypeAny } from 'zod';
import { API_BASE, ApiRoute, documentedStatuses, ErrorResponseSchema, ServiceApi } from './api-routes';

// The generator calls .openapi() on parameter schemas: zod gets the method (once, here, on first use).
extendZodWithOpenApi(z);

type OpenAPIDefinitions = ConstructorParameters<typeof OpenApiGeneratorV31>[0][number];

export const API_KEY_SCHEME = 'apiKey';
export const BEARER_SCHEME = 'bearer';

const STATUS_TEXT: Record<number, string> = {
  400: 'the request is malformed or a value is invalid (the message names the field)',
  401: 'the API key is missing or wrong (only when the service has one: GW_API_KEY)',
  404: 'not found',
  405: 'not allowed (e.g. writing a read-only resource)',
  409: 'conflict (duplicate name, still in use, or already running)',
  413: 'the body is larger than GW_MAX_BODY',
  415: 'unsupported content type',
  416: 'offset beyond the number of items',
  423: 'locked (admin state)',
  500: 'internal error',
  501: 'not implemented by this driver',
  502: 'bad answer from a peer',
  503: 'a dependency is unavailable, or too many queries are waiting',
  504: 'a peer did not answer in time',
};

export interface DocumentInfo {
  version: string;
  serviceName: string;
}

/**
 * Names the api's schemas for zod-to-openapi (it reads the name from the
 * schema's _def, so the same object is referenced wherever a route uses it).
 * The contracts' schemas are shared singletons; naming them is idempotent.
 */
function nameSchemas(schemas: Record<string, ZodTypeAny>): ZodTypeAny[] {
  return Object.entries(schemas).map(([name, schema]) => {
    const def = schema._def as { openapi?: { _internal?: { refId?: string } } };
    if (!def.openapi?._internal?.refId) def.openapi = { ...def.openapi, _internal: { ...def.openapi?._internal, refId: name } };
    return schema;
  });
}

function routeConfig(route: ApiRoute): RouteConfig {
  const responses: RouteConfig['responses'] = {};
  for (const answer of route.ok) {
    const type = answer.contentType ?? 'application/json';
    const content: Record<string, { schema: ZodTypeAny | { type: 'string'; format?: string } }> = { [type]: { schema: answer.schema ?? { type: 'string' } } };
    if (answer.orContentType) content[answer.orContentType] = { schema: { type: 'string', format: 'binary' } };
    responses[answer.status] = { description: answer.description, content };
  }
  for (const status of documentedStatuses(route)) {
    responses[status] ??= { description: STATUS_TEXT[status] ?? 'error', content: { 'application/json': { schema: ErrorResponseSchema } } };
  }
  const content: Record<string, { schema: ZodTypeAny }> = {};
  if (route.body) content['application/json'] = { schema: route.body };
  for (const [type, schema] of Object.entries(route.bodyTypes ?? {})) content[type] = { schema };
  return {
    method: route.method,
    path: route.path,
    operationId: route.operationId,
    summary: route.summary,
    tags: [route.tag],
    ...(route.open ? { security: [] } : {}),
    request: {
      ...(route.params ? { params: route.params } : {}),
      ...(route.query ? { query: route.query } : {}),
      ...(Object.keys(content).length ? { body: { required: true, content } } : {}),
    },
    responses,
  };
}

export function buildOpenApiDocument(api: ServiceApi, info: DocumentInfo): object {
  const definitions: OpenAPIDefinitions[] = [
    ...nameSchemas({ ErrorResponse: ErrorResponseSchema, ...api.schemas }).map((schema): OpenAPIDefinitions => ({ type: 'schema', schema })),
    {
      type: 'component',
      componentType: 'securitySchemes',
      name: API_KEY_SCHEME,
      component: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'GW_API_KEY, when the service has one' },
    },
    {
      type: 'component',
      componentType: 'securitySchemes',
      name: BEARER_SCHEME,
      component: { type: 'http', scheme: 'bearer', description: 'the same key as Authorization: Bearer <key>' },
    },
    ...api.routes.map((route): OpenAPIDefinitions => ({ type: 'route', route: routeConfig(route) })),
  ];
  return new OpenApiGeneratorV31(definitions).generateDocument({
    openapi: '3.1.0',
    info: { title: info.serviceName === api.title ? api.title : `${info.serviceName} (${api.title})`, version: info.version, description: api.description },
    servers: [{ url: API_BASE }],
    // Either scheme: the key goes in X-API-Key or as a bearer token. Open routes say `security: []`.
    security: [{ [API_KEY_SCHEME]: [] }, { [BEARER_SCHEME]: [] }],
  });
}
