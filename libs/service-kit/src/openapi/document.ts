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

type OpenApiMeta = { _internal?: { refId?: string } };
type DefWithMeta = { openapi?: OpenApiMeta } & Record<string, unknown>;

/** Each name given, with the schema it was given to: a schema derived later (`.extend()`) copies the name too. */
const NAMED = new WeakMap<OpenApiMeta, ZodTypeAny>();

/**
 * Names the api's schemas for zod-to-openapi (it reads the name from the
 * schema's _def, so the same object is referenced wherever a route uses it).
 * The contracts' schemas are shared singletons; naming them is idempotent.
 */
function nameSchemas(schemas: Record<string, ZodTypeAny>): ZodTypeAny[] {
  return Object.entries(schemas).map(([name, schema]) => {
    const def = schema._def as DefWithMeta;
    if (def.openapi?._internal?.refId !== name || NAMED.get(def.openapi) !== schema) {
      def.openapi = { ...def.openapi, _internal: { ...def.openapi?._internal, refId: name } };
      NAMED.set(def.openapi, schema);
    }
    return schema;
  });
}

/**
 * zod's derived schemas (extend, partial, strict...) copy their parent's _def,
 * the name included: a route schema derived from a named one after it was
 * named would be shown as its parent. Such copied names are dropped.
 */
function dropCopiedNames(schema: ZodTypeAny | undefined, seen = new Set<ZodTypeAny>()): void {
  if (!schema || typeof schema !== 'object' || !('_def' in schema) || seen.has(schema)) return;
  seen.add(schema);
  const def = schema._def as DefWithMeta;
  if (def.openapi && NAMED.has(def.openapi) && NAMED.get(def.openapi) !== schema) delete def.openapi;
  if (def.typeName === 'ZodObject') for (const child of Object.values((schema as z.AnyZodObject).shape)) dropCopiedNames(child as ZodTypeAny, seen);
  for (const key of ['innerType', 'schema', 'in', 'out', 'type', 'valueType', 'keyType', 'left', 'right', 'catchall']) dropCopiedNames(def[key] as ZodTypeAny, seen);
  for (const option of (def.options as ZodTypeAny[] | undefined) ?? []) dropCopiedNames(option, seen);
  for (const item of (def.items as ZodTypeAny[] | undefined) ?? []) dropCopiedNames(item, seen);
}

function routeSchemas(route: ApiRoute): Array<ZodTypeAny | undefined> {
  return [route.params, route.query, route.body, ...Object.values(route.bodyTypes ?? {}), ...route.ok.map((answer) => answer.schema)];
}

function routeConfig(route: ApiRoute): RouteConfig {
  const responses: RouteConfig['responses'] = {};
  for (const answer of route.ok) {
    const type = answer.contentType ?? 'application/json';
    const content: Record<string, { schema: ZodTypeAny | { type: 'string'; format?: string } }> = { [type]: { schema: answer.schema ?? { type: 'string' } } };
    for (const other of answer.orContentTypes ?? []) content[other] = { schema: { type: 'string', format: 'binary' } };
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
  const named = nameSchemas({ ErrorResponse: ErrorResponseSchema, ...api.schemas });
  for (const route of api.routes) for (const schema of routeSchemas(route)) dropCopiedNames(schema);
  const definitions: OpenAPIDefinitions[] = [
    ...named.map((schema): OpenAPIDefinitions => ({ type: 'schema', schema })),
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
