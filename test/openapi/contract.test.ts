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
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { ApiRoute, documentedApi } from '@gw/service-kit';
import { RunningGateway, startGateway } from '../../apps/gateway/src/gateway';
import { testGatewayConfig } from '../support/gateway';
import { quietLogger } from '../support/quiet-logger';
import { ContractRequest, requestArbitrary } from './contract/arbitraries';
import { Answer, DocumentedResponses, OpenApiDocument } from './contract/responses';
import { readWorld, unusedProfiles, World } from './contract/world';
import { ServedService, servedServices } from './served-services';

const KEY = 'contract-test-key';
const RUNS = Number(process.env.GW_CONTRACT_RUNS ?? 16);
const SEED = Number(process.env.GW_CONTRACT_SEED ?? 16);
// Bodies of a few items each (EdgeX batches of up to a few hundred are the load tests' business); GW_CONTRACT_SIZE=medium for bigger ones.
fc.configureGlobal({ baseSize: (process.env.GW_CONTRACT_SIZE as fc.Size | undefined) ?? 'xsmall' });
/** Every service the gateway serves (checked against it); core-metadata last, its deletes would leave the others little to reach. */
const SERVICES = ['core-data', 'core-command', 'device-virtual', 'device-modbus', 'device-opcua', 'app-service', 'core-metadata'];
/** A request that takes longer fails naming itself (not a Jest timeout naming nothing). */
const REQUEST_TIMEOUT_MS = 10_000;
/**
 * Operations whose success the test gateway cannot reach, and why; every other
 * operation must get a documented 2xx at least once, else its success schema went unchecked.
 */
const NO_SUCCESS_HERE: Record<string, string> = {
  'device-virtual discovery': 'the virtual driver cannot discover (503)',
  'device-virtual cancelDiscoveryByRequestId': 'no discovery run to cancel',
  'device-virtual profileScan': 'the virtual driver cannot scan (501)',
  'device-virtual cancelProfileScan': 'the virtual driver cannot scan (501)',
  'device-modbus getCommand': 'no Modbus device in the test gateway',
  'device-modbus setCommand': 'no Modbus device in the test gateway',
  'device-modbus validateDevice': 'no valid Modbus device body generated (protocol properties)',
  'device-modbus cancelDiscoveryByRequestId': 'no discovery run to cancel',
  'device-modbus profileScan': 'no Modbus profile scan (501)',
  'device-modbus cancelProfileScan': 'no Modbus profile scan (501)',
  'device-opcua getCommand': 'no OPC UA device in the test gateway',
  'device-opcua setCommand': 'no OPC UA device in the test gateway',
  'device-opcua validateDevice': 'no valid OPC UA device body generated (protocol properties)',
  'device-opcua cancelDiscoveryByRequestId': 'no discovery run under way with a known id',
  'device-opcua profileScan': 'no OPC UA server to scan in this test',
  'device-opcua cancelProfileScan': 'no scan under way',
  'device-opcua opcuaGetBrowse': 'no OPC UA server configured for browsing (GW_OPCUA_DISCOVERY_ENDPOINTS)',
  'device-opcua opcuaGetProfiledraft': 'no OPC UA server configured for browsing',
  'app-service twinModel': 'no azure-twin sink in the test gateway',
};

async function send(base: string, request: ContractRequest): Promise<Answer> {
  const url = new URL(`${base}/api/v3${request.path}`);
  for (const [key, value] of Object.entries(request.query)) url.searchParams.set(key, value);
  const headers: Record<string, string> = request.withoutKey ? {} : { 'x-api-key': request.wrongKey ? `${KEY}-not` : KEY };
  let body: string | FormData | undefined;
  if (request.body && 'multipartFile' in request.body) {
    body = new FormData();
    body.append('file', new Blob([request.body.multipartFile]), 'profile.yaml');
  } else if (request.body) {
    headers['content-type'] = request.body.contentType;
    body = request.body.text;
  }
  const res = await fetch(url, { method: request.method, headers, body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }).catch((err: unknown) => {
    throw new Error(`${request.method} ${url.pathname}${url.search} got no answer: ${(err as Error).message}`);
  });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
}

const getJson = async (url: string): Promise<any> => (await fetch(url, { headers: { 'x-api-key': KEY }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })).json();

describe('contract: every operation of the served OpenAPI documents', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-contract-'));
  let gateway: RunningGateway;
  let services: Map<string, ServedService>;
  let worldUrls: Parameters<typeof readWorld>[1];

  beforeAll(async () => {
    // The OPC UA PKI in the temp folder too (its default is ./data below the working directory).
    gateway = await startGateway(testGatewayConfig(dataDir, { GW_API_KEY: KEY }), quietLogger('gateway'));
    services = new Map(servedServices(gateway).map((s) => [s.name, s]));
    // The test folders have no provision watcher and every service has devices: a watcher and an unused service, for their routes to find (and delete).
    const add = async (path: string, key: string, item: object) => {
      const res = await fetch(`${gateway.metadata.url}/api/v3/${path}`, { method: 'POST', headers: { 'x-api-key': KEY, 'content-type': 'application/json' }, body: JSON.stringify([{ apiVersion: 'v3', [key]: item }]) });
      expect(((await res.json()) as Array<{ statusCode: number }>)[0].statusCode).toBe(201);
    };
    await add('provisionwatcher', 'provisionWatcher', { name: 'contract-watcher', serviceName: 'device-virtual', identifiers: { address: 'contract' }, discoveredDevice: { profileName: 'Demo-Sensor' } });
    await add('deviceservice', 'service', { name: 'contract-service', baseAddress: 'http://127.0.0.1:1', adminState: 'UNLOCKED' });
    // A server certificate in the trust list's rejected folder (the gateway's own, made by this first call), for the trust routes to move.
    const opcua = services.get('device-opcua');
    if (opcua) {
      const own = await fetch(`${opcua.url}/api/v3/opcua/certificates/own?format=der`, { headers: { 'x-api-key': KEY } });
      expect(own.status).toBe(200);
      writeFileSync(join(dataDir, 'opcua-pki', 'rejected', 'contract.der'), Buffer.from(await own.arrayBuffer()));
    }
    worldUrls = { metadata: gateway.metadata.url, coreData: gateway.coreData.url, opcua: services.get('device-opcua')?.url };
  });

  afterAll(async () => {
    await gateway?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('covers every service the gateway serves', () => {
    expect([...services.keys()].sort()).toEqual([...SERVICES].sort());
  });

  it.each(SERVICES)('%s answers only documented statuses and shapes, never a 5xx', async (name) => {
    const service = services.get(name)!;
    expect(service).toBeDefined();
    const doc = (await (await fetch(`${service.url}/api/v3/openapi.json`, { headers: { 'x-api-key': KEY } })).json()) as OpenApiDocument;
    const responses = new DocumentedResponses(name, doc);
    const routes = new Map(((await documentedApi(service.app))?.routes ?? []).map((route): [string, ApiRoute] => [route.operationId, route]));
    let operations = 0;
    const failures: string[] = [];
    const neverOk: string[] = [];
    let world: World | undefined;
    let changes = true;
    // Deletes last (what they remove, the other operations reach first): one thing by id, then the parts of a thing (a profile's
    // resources and commands) before the thing, then the rest.
    const order = ({ path, method }: { path: string; method: string }) => (method !== 'delete' ? 0 : path.includes('/id/') ? 1 : 10 - path.split('/').length);
    const operationList = Object.entries(doc.paths)
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ path, method })))
      .sort((a, b) => order(a) - order(b));
    for (const { path, method } of operationList) {
      {
        const { operationId } = responses.operation(path, method);
        const route = routes.get(operationId);
        if (!route) throw new Error(`${name}: ${operationId} is documented but has no route definition`);
        const seed = SEED + operations++;
        const t0 = Date.now();
        // Read again after an operation that may have changed it (anything but a GET).
        if (!world || changes) world = await readWorld(getJson, worldUrls);
        changes = method !== 'get';
        // A device service's operations reach its own devices; core-metadata's also profiles no device uses (deletable).
        const own = world.devices.filter((d) => d.serviceName === name);
        const kin = own.length ? [own] : name === 'core-metadata' ? [world.devices, ...unusedProfiles(world)] : [world.devices];
        let successes = 0;
        const statuses = new Map<number, number>();
        const details = await fc.check(
          fc.asyncProperty(requestArbitrary(route, world, kin), async (request) => {
            const answer = await send(service.url, request);
            if (answer.status >= 200 && answer.status < 300) successes++;
            statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
            if (process.env.GW_CONTRACT_DEBUG === operationId) process.stdout.write(`${request.kind} ${request.path} ${answer.status} ${answer.text.slice(0, 300)}\n`);
            const problem =
              (request.withoutKey || request.wrongKey) && !route.open && answer.status !== 401
                ? `answered ${answer.status} ${request.wrongKey ? 'with a wrong' : 'without the'} API key`
                : responses.problem(path, method, answer);
            if (problem) {
              throw new Error(`${name} ${operationId} (${method.toUpperCase()} ${path}), ${request.kind}: ${problem}\n` + `request: ${JSON.stringify(request).slice(0, 1500)}`);
            }
          }),
          { seed, numRuns: RUNS, endOnFailure: true },
        );
        if (process.env.GW_CONTRACT_TIMING) process.stdout.write(`${name} ${operationId} ${Date.now() - t0} ms, ${successes}/${RUNS} 2xx (${[...statuses].map(([status, n]) => `${status}: ${n}`).join(', ')})\n`);
        const exempt = NO_SUCCESS_HERE[`${name} ${operationId}`];
        if (!details.failed && successes === 0 && !exempt) neverOk.push(operationId);
        if (successes > 0 && exempt) neverOk.push(`${operationId} got a 2xx: take it out of NO_SUCCESS_HERE`);
        if (details.failed) failures.push(`${(details.errorInstance as Error)?.message ?? details.error} [GW_CONTRACT_SEED=${SEED}: seed ${seed}]`);
      }
    }
    expect(operations).toBe(routes.size);
    expect(failures).toEqual([]);
    // A success schema no answer was checked against is untested: each operation must get a 2xx (or be named above).
    expect(neverOk).toEqual([]);
  });
});
