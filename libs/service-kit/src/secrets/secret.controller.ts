import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { z } from 'zod';
import { edgexKey, ErrorKind, GatewayError, requestIdIssue } from '@gw/contracts';
import { okResponse } from '../envelope';
import { SECRET_STORE } from '../tokens';
import type { FileSecretStore } from './secret-store';

const MAX_NAME = 256;
const MAX_VALUE = 64 * 1024;

/** EdgeX's SecretRequest: keys matched as Go's encoding/json matches them, sizes bounded. */
const SecretData = z
  .array(z.object({ key: z.string().min(1).max(MAX_NAME), value: z.string().max(MAX_VALUE) }))
  .min(1, 'needs at least one key/value pair')
  .max(100, 'at most 100 key/value pairs');

/** EdgeX v3: POST /api/v3/secret, on every service: stores a secret of this service's own (201); never read back over REST. */
@Controller('secret')
export class SecretController {
  constructor(@Inject(SECRET_STORE) private readonly store: FileSecretStore) {}

  @Post()
  @HttpCode(201)
  async add(@Body() body: unknown) {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new GatewayError(ErrorKind.ContractInvalid, 'request body: expected a SecretRequest {apiVersion, secretName, secretData}');
    }
    const request = body as Record<string, unknown>;
    const badRequestId = requestIdIssue(edgexKey(request, 'requestId'));
    if (badRequestId) throw new GatewayError(ErrorKind.ContractInvalid, `${badRequestId.path}: ${badRequestId.message}`);
    const name = edgexKey(request, 'secretName');
    if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME) {
      throw new GatewayError(ErrorKind.ContractInvalid, `secretName: a name of 1 to ${MAX_NAME} characters is required`);
    }
    const rawData = edgexKey(request, 'secretData');
    const items = Array.isArray(rawData) ? rawData.map((item) => (item && typeof item === 'object' ? { key: edgexKey(item, 'key'), value: edgexKey(item, 'value') } : item)) : rawData;
    const data = SecretData.safeParse(items);
    if (!data.success) {
      const issue = data.error.issues[0];
      throw new GatewayError(ErrorKind.ContractInvalid, `secretData${issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('')}: ${issue.message}`);
    }
    await this.store.put(name, Object.fromEntries(data.data.map(({ key, value }) => [key, value])));
    return okResponse({}, 201, edgexKey(request, 'requestId') as string | undefined);
  }
}
