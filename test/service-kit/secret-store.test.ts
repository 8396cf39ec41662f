/**
 * POST /api/v3/secret on every service (EdgeX v3): a secret of the service's
 * own, stored in a 0600 file under its data folder, never served back; bad
 * requests get a 400 naming the field.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createServiceApp, FileSecretStore, listenService } from '@gw/service-kit';
import { quietLogger } from '../support/quiet-logger';
import { DummyModule } from './dummy.module';

const KEY = 'secret-test-key';

describe('POST /api/v3/secret', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-secrets-'));
  let app: NestFastifyApplication;
  let url: string;

  beforeAll(async () => {
    const config = { serviceName: 'device-demo', host: '127.0.0.1', port: 0, logLevel: 'silent' as const, maxBody: 64 * 1024, apiKey: KEY, dataDir };
    app = await createServiceApp({ module: DummyModule, version: '1.0.0', config, logger: quietLogger('device-demo'), shutdownHooks: false });
    url = await listenService(app, config);
  });

  afterAll(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const post = (body: unknown, key: string | null = KEY) =>
    fetch(`${url}/api/v3/secret`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { 'x-api-key': key } : {}) },
      body: JSON.stringify(body),
    }).then(async (res) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> }));

  it('stores a secret as EdgeX clients send it, in a file only the service can read', async () => {
    const reply = await post({ apiVersion: 'v3', requestId: '6a1f0d2c-3b4e-4f5a-8b6c-7d8e9f0a1b2c', secretName: 'plc-login', secretData: [{ key: 'username', value: 'op' }, { key: 'password', value: 'hunter2' }] });
    expect(reply).toEqual({ status: 201, body: { apiVersion: 'v3', requestId: '6a1f0d2c-3b4e-4f5a-8b6c-7d8e9f0a1b2c', statusCode: 201 } });
    const store = new FileSecretStore(dataDir, 'device-demo');
    expect(await store.get('plc-login')).toEqual({ username: 'op', password: 'hunter2' });
    expect(statSync(store.file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'secrets')).mode & 0o777).toBe(0o700);

    // Replaced whole by the next request of that name; keys matched as Go's encoding/json matches them.
    expect((await post({ apiVersion: 'v3', SecretName: 'plc-login', SecretData: [{ Key: 'password', Value: 'correct horse' }] })).status).toBe(201);
    expect(await new FileSecretStore(dataDir, 'device-demo').get('plc-login')).toEqual({ password: 'correct horse' });
  });

  it('needs the API key, and names what is wrong with a request', async () => {
    expect((await post({ apiVersion: 'v3', secretName: 'x', secretData: [{ key: 'k', value: 'v' }] }, null)).status).toBe(401);
    const cases: Array<[unknown, RegExp]> = [
      [{ apiVersion: 'v3', secretData: [{ key: 'k', value: 'v' }] }, /^secretName: a name of 1 to 256 characters is required/],
      [{ apiVersion: 'v3', secretName: 's', secretData: [] }, /^secretData: needs at least one key\/value pair/],
      [{ apiVersion: 'v3', secretName: 's', secretData: [{ key: '', value: 'v' }] }, /^secretData\[0\]\.key: /],
      [{ apiVersion: 'v3', requestId: 'nope', secretName: 's', secretData: [{ key: 'k', value: 'v' }] }, /^requestId: must be empty or a UUID/],
      [[1, 2], /^request body: expected a SecretRequest/],
    ];
    for (const [body, message] of cases) {
      const reply = await post(body);
      expect({ status: reply.status, message: reply.body.message }).toEqual({ status: 400, message: expect.stringMatching(message) });
    }
  });

  it('never answers a secret back: there is no GET', async () => {
    const res = await fetch(`${url}/api/v3/secret`, { headers: { 'x-api-key': KEY } });
    expect(res.status).toBe(404);
  });
});
