import { z } from 'zod';
import { documentedStatuses } from '@gw/service-kit';
import { driverApiRoute } from './openapi';
import type { DriverRoute } from '../driver/routes';

const handle = async () => ({ json: {} });

describe('driverApiRoute', () => {
  it("documents a route's own answer: its fields strictly in the envelope, its files, its status and errors", () => {
    const route: DriverRoute = {
      method: 'GET',
      path: 'draft',
      answer: { json: z.object({ profile: z.object({ name: z.string() }) }).strict(), fileTypes: ['application/x-yaml'], status: 200, errors: [404] },
      handle,
    };
    const api = driverApiRoute('x', route);
    expect(documentedStatuses(api)).toEqual([200, 401, 404, 500]);
    const [ok] = api.ok;
    expect(ok.orContentTypes).toEqual(['application/x-yaml']);
    expect(ok.schema!.safeParse({ apiVersion: 'v3', statusCode: 200, profile: { name: 'p' } }).success).toBe(true);
    expect(ok.schema!.safeParse({ apiVersion: 'v3', statusCode: 200, profile: { name: 'p' }, other: 1 }).success).toBe(false);
    expect(ok.schema!.safeParse({ apiVersion: 'v3', statusCode: 200 }).success).toBe(false);
  });

  it('a file-only route documents its file types and no JSON answer', () => {
    const api = driverApiRoute('x', { method: 'GET', path: 'cert', answer: { fileTypes: ['application/pkix-cert', 'application/x-pem-file'] }, handle });
    expect(api.ok).toEqual([expect.objectContaining({ status: 200, contentType: 'application/pkix-cert', orContentTypes: ['application/x-pem-file'] })]);
    expect(api.ok[0].schema).toBeUndefined();
  });

  it('a route that does not say documents one 200 and every driver error, 413 only with a body', () => {
    expect(documentedStatuses(driverApiRoute('x', { method: 'POST', path: 'go', handle }))).toEqual([200, 400, 401, 404, 409, 423, 500, 501, 503, 504]);
    expect(documentedStatuses(driverApiRoute('x', { method: 'POST', path: 'go', body: z.object({}), handle }))).toContain(413);
  });
});
