/**
 * GET /api/v3/zigbee/definitions/{model}/profile without a coordinator: the
 * profile device-zigbee would generate for a model, which core-metadata takes
 * as it is (JSON and YAML).
 */
import { parse } from 'yaml';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zigbeeSettings } from '../../libs/drivers/zigbee/src/descriptor';
import { ZigbeeDriver } from '../../libs/drivers/zigbee/src/zigbee-driver';
import { startDeviceZigbee, ZigbeeHost } from './host';

let host: ZigbeeHost;
let driver: ZigbeeDriver;
const dataDir = mkdtempSync(join(tmpdir(), 'zigbee-profiles-'));

beforeAll(async () => {
  driver = new ZigbeeDriver(zigbeeSettings.parse({ dataDir }));
  host = await startDeviceZigbee(driver);
});

afterAll(async () => {
  await host?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as any });

describe('GET /api/v3/zigbee/definitions/{model}/profile (no coordinator)', () => {
  it('reports the coordinator as not configured, and ping still answers', async () => {
    expect(await json(await host.call('GET', '/zigbee/coordinator'))).toEqual({ status: 200, body: expect.objectContaining({ coordinator: { state: 'not configured' } }) });
    expect((await host.call('GET', '/ping')).status).toBe(200);
    expect(driver.loaded).toBe(false);
  });

  it.each([
    ['lumi.weather', 'zigbee-Aqara-WSDCGQ11LM', 'temperature'],
    ['WSDCGQ11LM', 'zigbee-Aqara-WSDCGQ11LM', 'pressure'],
    ['LED1545G12', 'zigbee-IKEA-LED1545G12', 'brightness'],
    ['SP-EUC01', 'zigbee-Aqara-SP-EUC01', 'power'],
  ])('%s: JSON profile %s with %s, which core-metadata stores unchanged', async (model, name, resource) => {
    const { status, body } = await json(await host.call('GET', `/zigbee/definitions/${encodeURIComponent(model)}/profile`));
    expect(status).toBe(200);
    expect(body.profile.name).toBe(name);
    expect(body.profile.deviceResources.map((r: { name: string }) => r.name)).toContain(resource);
    await host.rest.delete(`/deviceprofile/name/${name}`);
    const added = await host.rest.batch('POST', '/deviceprofile', 'profile', [body.profile]);
    expect(added.body[0]).toMatchObject({ statusCode: 201 });
    const stored = await host.rest.get(`/deviceprofile/name/${name}`);
    const { id: _id, created: _c, modified: _m, ...kept } = stored.body.profile;
    expect(kept).toEqual(body.profile);
  });

  it('as YAML, uploadable to core-metadata as it is', async () => {
    const res = await host.call('GET', '/zigbee/definitions/TRADFRI%20bulb%20E27%20WS%20opal%20980lm/profile?format=yaml');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('yaml');
    const yaml = await res.text();
    expect(parse(yaml).name).toBe('zigbee-IKEA-LED1545G12');
    await host.rest.delete('/deviceprofile/name/zigbee-IKEA-LED1545G12');
    const uploaded = await host.rest.upload('POST', yaml, 'bulb.yaml');
    expect(uploaded.body).toMatchObject({ statusCode: 201 });
  });

  it('404 for a model the converters do not know, 400 for a bad name or format, 401 without the API key', async () => {
    expect((await host.call('GET', '/zigbee/definitions/no-such-model-xyz/profile')).status).toBe(404);
    expect((await host.call('GET', `/zigbee/definitions/${'x'.repeat(129)}/profile`)).status).toBe(400);
    expect((await host.call('GET', '/zigbee/definitions/lumi.weather/profile?format=xml')).status).toBe(400);
    expect((await fetch(`${host.service.url}/api/v3/zigbee/definitions/lumi.weather/profile`)).status).toBe(401);
  });

  it('permit join without a coordinator is a 503 naming its state', async () => {
    const res = await json(await host.call('PUT', '/zigbee/permitjoin', { body: JSON.stringify({ seconds: 60 }), headers: { 'content-type': 'application/json' } }));
    expect(res.status).toBe(503);
    expect(res.body.message).toContain('not configured');
  });
});
