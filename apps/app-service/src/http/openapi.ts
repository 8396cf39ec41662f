/**
 * The app service's routes for its OpenAPI document (GET /api/v3/openapi.json).
 * Ours, not EdgeX's: EdgeX app services have no export figures or twin models.
 */
import { z } from 'zod';
import { ok200, okWith, pathParams, ServiceApi } from '@gw/service-kit';

const Figures = z.array(z.record(z.string(), z.unknown()));
/** twin/twin-model.ts TwinModel in the envelope: the model id, one DTDL document (its interfaces), what it leaves out. */
export const TwinModelAnswer = okWith({ modelId: z.string(), models: z.array(z.record(z.string(), z.unknown())), omitted: z.array(z.string()) });

export const appServiceApi: ServiceApi = {
  title: 'app-service',
  description: 'Exports of events to cloud twins and other sinks (pipelines, outbox).',
  routes: [
    {
      method: 'get',
      path: '/exports',
      operationId: 'exports',
      summary: 'Export figures per route (pipeline and sink), per pipeline, and of the outbox',
      tag: 'exports',
      ok: [ok200('the figures', okWith({ routes: Figures, pipelines: Figures, outbox: z.record(z.string(), z.unknown()) }))],
    },
    {
      method: 'get',
      path: '/twin/model/{sink}',
      operationId: 'twinModel',
      summary: 'The DTDL model an azure-twin sink announces (IoT Plug and Play), from the device profiles',
      tag: 'twin',
      params: pathParams('sink'),
      ok: [ok200('the model', TwinModelAnswer)],
      errors: [404, 503],
    },
  ],
};
