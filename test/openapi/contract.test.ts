/**
 * Contract test of the served OpenAPI documents (issue 16): for every
 * operation of every service's document, generated requests, valid ones
 * (bodies from the route's own zod schemas) and invalid ones (mutated bodies,
 * any JSON, text, other content types, any path and query values, no API key),
 * sent to the running one-process gateway. Every answer must be a documented
 * status, never a 5xx, with a body that validates against the documented schema.
 *
 * Bounded for CI: GW_CONTRACT_RUNS requests per operation (default 16) from a
 * fixed seed (GW_CONTRACT_SEED, default 16); a failure names the seed, the
 * operation and the request. Longer run (GW_CONTRACT_TIMING=1 prints each operation's time):
 *   GW_CONTRACT_RUNS=300 GW_CONTRACT_SEED=$RANDOM GW_CONTRACT_SIZE=small npx jest test/openapi/contract.test.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { ApiRoute, documentedApi } from '@gw/service-kit';
import { RunningGateway, startGateway } from '../../apps/gateway/src/gateway';
import { testGatewayConfig } from '../support/gateway';
import { quietLogger } from '../support/quiet-logger';
import { ContractRequest, requestArbitrary } from './contract/arbitraries';
import { Answer, DocumentedResponses, OpenApiDocument } from './contract/responses';
import { ServedService, servedServices } from './served-services';

const KEY = 'contract-test-key';
const RUNS = Number(process.env.GW_CONTRACT_RUNS ?? 16);
const SEED = Number(process.env.GW_CONTRACT_SEED ?? 16);
// Bodies of a few items each (EdgeX batches of up to a few hundred are the load tests' business); GW_CONTRACT_SIZE=medium for bigger ones.
fc.configureGlobal({ baseSize: (process.env.GW_CONTRACT_SIZE as fc.Size | undefined) ?? 'xsmall' });
const SERVICES = ['core-metadata', 'core-data', 'core-command', 'device-virtual', 'device-modbus', 'device-opcua', 'app-service'];

async function send(base: string, request: ContractRequest): Promise<Answer> {
  const url = new URL(`${base}/api/v3${request.path}`);
  for (const [key, value] of Object.entries(request.query)) url.searchParams.set(key, value);
  const headers: Record<string, string> = request.withoutKey ? {} : { 'x-api-key': KEY };
  let body: string | FormData | undefined;
  if (request.body && 'multipartFile' in request.body) {
    body = new FormData();
    body.append('file', new Blob([request.body.multipartFile]), 'profile.yaml');
  } else if (request.body) {
    headers['content-type'] = request.body.contentType;
    body = request.body.text;
  }
  const res = await fetch(url, { method: request.method, headers, body });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
}

/** Names and ids the gateway has, so generated requests also reach existing entities. */
async function knownNames(metadata: string): Promise<string[]> {
  const get = async (url: string): Promise<any> => (await fetch(url, { headers: { 'x-api-key': KEY } })).json();
  const profiles = (await get(`${metadata}/api/v3/deviceprofile/all?limit=-1`)).profiles as Array<{ name: string; deviceResources: Array<{ name: string }>; deviceCommands: Array<{ name: string }> }>;
  const devices = (await get(`${metadata}/api/v3/device/all?limit=-1`)).devices as Array<{ name: string; id: string }>;
  const services = (await get(`${metadata}/api/v3/deviceservice/all?limit=-1`)).services as Array<{ name: string }>;
  const watchers = (await get(`${metadata}/api/v3/provisionwatcher/all?limit=-1`)).provisionWatchers as Array<{ name: string }>;
  const names = [
    ...profiles.flatMap((p) => [p.name, ...p.deviceResources.map((r) => r.name), ...p.deviceCommands.map((c) => c.name)]),
    ...devices.map((d) => d.name),
    ...services.map((s) => s.name),
    ...watchers.map((w) => w.name),
  ];
  // Ids differ from run to run: after the names, in the devices' order, so a seed draws the same requests again.
  const ids = [...devices].sort((a, b) => a.name.localeCompare(b.name)).map((d) => d.id);
  return [...[...new Set(names)].sort(), ...ids];
}

describe('contract: every operation of the served OpenAPI documents', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-contract-'));
  let gateway: RunningGateway;
  let services: Map<string, ServedService>;
  let names: string[];

  beforeAll(async () => {
    gateway = await startGateway(testGatewayConfig(dataDir, { GW_API_KEY: KEY }), quietLogger('gateway'));
    services = new Map(servedServices(gateway).map((s) => [s.name, s]));
    names = await knownNames(gateway.metadata.url);
  });

  afterAll(async () => {
    await gateway?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.each(SERVICES)('%s answers only documented statuses and shapes, never a 5xx', async (name) => {
    const service = services.get(name)!;
    expect(service).toBeDefined();
    const doc = (await (await fetch(`${service.url}/api/v3/openapi.json`, { headers: { 'x-api-key': KEY } })).json()) as OpenApiDocument;
    const responses = new DocumentedResponses(name, doc);
    const routes = new Map(((await documentedApi(service.app))?.routes ?? []).map((route): [string, ApiRoute] => [route.operationId, route]));
    let operations = 0;
    const failures: string[] = [];
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const method of Object.keys(methods)) {
        const { operationId } = responses.operation(path, method);
        const route = routes.get(operationId);
        if (!route) throw new Error(`${name}: ${operationId} is documented but has no route definition`);
        const seed = SEED + operations++;
        const t0 = Date.now();
        const details = await fc.check(
          fc.asyncProperty(requestArbitrary(route, names), async (request) => {
            const answer = await send(service.url, request);
            const problem =
              request.withoutKey && !route.open && answer.status !== 401
                ? `answered ${answer.status} without the API key`
                : responses.problem(path, method, answer);
            if (problem) {
              throw new Error(`${name} ${operationId} (${method.toUpperCase()} ${path}), ${request.kind}: ${problem}\n` + `request: ${JSON.stringify(request).slice(0, 1500)}`);
            }
          }),
          { seed, numRuns: RUNS, endOnFailure: true },
        );
        if (process.env.GW_CONTRACT_TIMING) process.stdout.write(`${operationId} ${Date.now() - t0} ms\n`);
        if (details.failed) failures.push(`${(details.errorInstance as Error)?.message ?? details.error} [GW_CONTRACT_SEED=${SEED}: seed ${seed}]`);
      }
    }
    expect(operations).toBe(routes.size);
    expect(failures).toEqual([]);
  });
});
