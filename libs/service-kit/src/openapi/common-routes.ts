/**
 * The routes every service answers (service-kit's controllers and the
 * OpenAPI routes themselves), said once for every service's document.
 */
import { z } from 'zod';
import { API_VERSION } from '@gw/contracts';
import { ApiRoute, BaseResponseSchema, RequestId } from './api-routes';

const tag = 'system';

const Ping = BaseResponseSchema.extend({ timestamp: z.string(), serviceName: z.string() }).strict();
const Version = BaseResponseSchema.extend({ version: z.string(), serviceName: z.string() }).strict();
const Config = z.object({ apiVersion: z.literal(API_VERSION), config: z.record(z.string(), z.unknown()), serviceName: z.string() }).strict();
const Readiness = BaseResponseSchema.extend({
  serviceName: z.string(),
  ready: z.boolean(),
  message: z.string().optional(),
  checks: z.array(z.object({ name: z.string(), ready: z.boolean(), problem: z.string().optional() }).strict()),
}).strict();
/** EdgeX's SecretRequest. */
export const SecretRequest = z.object({
  apiVersion: z.string().optional(),
  requestId: RequestId.optional(),
  secretName: z.string().min(1).max(256),
  secretData: z.array(z.object({ key: z.string().min(1).max(256), value: z.string().max(64 * 1024) })).min(1).max(100),
});
const OpenApiDocument = z.object({ openapi: z.string(), info: z.object({}).passthrough(), paths: z.record(z.string(), z.unknown()) }).passthrough();

export const OPENAPI_JSON_PATH = '/openapi.json';
export const DOCS_PATH = '/docs';

export function commonRoutes(options: { metrics: boolean; secrets: boolean; docs: boolean }): ApiRoute[] {
  return [
    { method: 'get', path: '/ping', operationId: 'ping', summary: 'Liveness: the service answers', tag, open: true, ok: [{ status: 200, description: 'alive', schema: Ping }] },
    {
      method: 'get',
      path: '/ready',
      operationId: 'ready',
      summary: 'Readiness (ours, not EdgeX): 200 when every dependency is there, 503 naming what is missing',
      tag,
      open: true,
      ok: [
        { status: 200, description: 'ready', schema: Readiness },
        { status: 503, description: 'waiting for a dependency', schema: Readiness },
      ],
    },
    { method: 'get', path: '/version', operationId: 'version', summary: "The service's version", tag, ok: [{ status: 200, description: 'version', schema: Version }] },
    { method: 'get', path: '/config', operationId: 'config', summary: "The service's settings, secrets hidden", tag, ok: [{ status: 200, description: 'settings', schema: Config }] },
    ...(options.metrics
      ? [{ method: 'get', path: '/metrics', operationId: 'metrics', summary: 'Prometheus metrics (ours, not EdgeX)', tag, ok: [{ status: 200, description: 'Prometheus text format', contentType: 'text/plain' }] } satisfies ApiRoute]
      : []),
    ...(options.secrets
      ? [
          {
            method: 'post',
            path: '/secret',
            operationId: 'addSecret',
            summary: "Stores a secret in the service's own store (never read back over REST)",
            tag,
            body: SecretRequest,
            ok: [{ status: 201, description: 'stored', schema: BaseResponseSchema.strict() }],
          } satisfies ApiRoute,
        ]
      : []),
    { method: 'get', path: OPENAPI_JSON_PATH, operationId: 'openApiDocument', summary: 'This OpenAPI 3.1 document', tag, ok: [{ status: 200, description: 'the document', schema: OpenApiDocument }] },
    ...(options.docs
      ? [{ method: 'get', path: DOCS_PATH, operationId: 'apiDocs', summary: 'Swagger UI for this document (GW_OPENAPI_UI=false turns it off)', tag, open: true, ok: [{ status: 200, description: 'HTML page', contentType: 'text/html' }] } satisfies ApiRoute]
      : []),
  ];
}
