import { z } from 'zod';
import { ApiRoute, ok200, okWith, ServiceApi } from './api-routes';
import { buildOpenApiDocument } from './document';

const info = { serviceName: 'test', version: '1' };
const post = (body: z.ZodTypeAny): ApiRoute => ({ method: 'post', path: '/thing', operationId: 'addThing', summary: 'adds', tag: 't', body, ok: [ok200('added')] });
type Doc = { paths: Record<string, Record<string, { requestBody: { content: Record<string, { schema: Record<string, unknown> }> } }>>; components: { schemas: Record<string, unknown> } };
const bodySchema = (doc: object) => (doc as Doc).paths['/thing'].post.requestBody.content['application/json'].schema;

describe('buildOpenApiDocument', () => {
  it('references a named schema wherever a route uses it', () => {
    const Thing = z.object({ name: z.string() }).strict();
    const api: ServiceApi = { title: 'test', description: 'd', schemas: { Thing }, routes: [post(z.array(Thing)), { ...post(Thing), method: 'put', operationId: 'putThing' }] };
    const doc = buildOpenApiDocument(api, info) as Doc;
    expect(bodySchema(doc)).toEqual({ type: 'array', items: { $ref: '#/components/schemas/Thing' } });
    expect(doc.components.schemas.Thing).toMatchObject({ type: 'object', required: ['name'], additionalProperties: false });
  });

  it('shows a schema derived from a named one after it was named as itself, not as its parent', () => {
    const Parent = z.object({ name: z.string() }).strict();
    buildOpenApiDocument({ title: 'a', description: 'd', schemas: { Parent }, routes: [post(Parent)] }, info);
    // Another service's route list, loaded later, derives from the same (now named) schema.
    const Derived = Parent.extend({ size: z.number() });
    const Partial = Parent.partial();
    expect(bodySchema(buildOpenApiDocument({ title: 'b', description: 'd', routes: [post(Derived)] }, info))).toMatchObject({ required: ['name', 'size'] });
    expect(bodySchema(buildOpenApiDocument({ title: 'c', description: 'd', schemas: { Derived }, routes: [post(Derived)] }, info))).toEqual({ $ref: '#/components/schemas/Derived' });
    expect(bodySchema(buildOpenApiDocument({ title: 'd', description: 'd', routes: [post(Partial)] }, info))).not.toHaveProperty('required');
    // The parent keeps its name.
    expect(bodySchema(buildOpenApiDocument({ title: 'e', description: 'd', routes: [post(okWith({ parent: Parent }))] }, info))).toMatchObject({ properties: { parent: { $ref: '#/components/schemas/Parent' } } });
  });
});
