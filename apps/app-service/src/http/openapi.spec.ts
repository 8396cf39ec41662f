import type { TwinModel } from '../twin/twin-model';
import { TwinModelAnswer } from './openapi';

describe('app-service OpenAPI: the twin model answer', () => {
  const model: TwinModel = { modelId: 'dtmi:gw:x;1', models: [{ '@id': 'dtmi:gw:x;1' }], omitted: ['telemetry'] };

  it('describes the answer exactly: the model in the envelope, no other field', () => {
    expect(TwinModelAnswer.safeParse({ apiVersion: 'v3', statusCode: 200, ...model }).success).toBe(true);
    expect(TwinModelAnswer.safeParse({ apiVersion: 'v3', statusCode: 200, ...model, extra: 1 }).success).toBe(false);
    expect(TwinModelAnswer.safeParse({ apiVersion: 'v3', statusCode: 200 }).success).toBe(false);
  });
});
