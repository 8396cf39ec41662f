/**
 * GET /api/v3/metrics as every service serves it (createServiceApp): behind
 * the API key, Node's figures, REST requests by route pattern, the bus; and
 * several services in one process, as the one-process gateway runs them.
 */
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createMessageBus, ManagedMessageBus, MemoryBroker, newEnvelope } from '@gw/messaging';
import { busMetrics, createServiceApp, listenService, MetricSet } from '@gw/service-kit';
import { Collector } from '../messaging/helpers';
import { scrape, series } from '../support/prometheus';
import { quietLogger } from '../support/quiet-logger';
import { DummyModule } from './dummy.module';

const KEY = 'metrics-test-key';

async function start(serviceName: string, options: { apiKey?: string; metrics?: MetricSet[] } = {}) {
  const config = { serviceName, host: '127.0.0.1', port: 0, logLevel: 'silent' as const, maxBody: 1024, apiKey: options.apiKey };
  const app = await createServiceApp({ module: DummyModule, version: '1.0.0', config, logger: quietLogger(serviceName), metrics: options.metrics, shutdownHooks: false });
  return { app, url: await listenService(app, config) };
}

describe('GET /api/v3/metrics', () => {
  let bus: ManagedMessageBus;
  let a: { app: NestFastifyApplication; url: string };
  let b: { app: NestFastifyApplication; url: string };
  const withKey = { 'x-api-key': KEY };

  beforeAll(async () => {
    bus = createMessageBus({ type: 'memory', broker: new MemoryBroker() });
    await bus.connect();
    // Two services in one process, as the gateway hosts them: Node's figures are shared, not registered twice.
    a = await start('svc-a', { apiKey: KEY, metrics: [busMetrics(bus)] });
    b = await start('svc-b');
  });

  afterAll(async () => {
    await a?.app.close();
    await b?.app.close();
    await bus?.close();
  });

  it('is behind the API key like every route but ping and ready', async () => {
    const refused = await fetch(`${a.url}/api/v3/metrics`);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ statusCode: 401, message: expect.stringContaining('missing API key') });
    expect((await fetch(`${a.url}/api/v3/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(`${a.url}/api/v3/metrics`, { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(200);
  });

  it("serves Node's and the process's figures on every service of the process", async () => {
    for (const samples of [await scrape(a.url, withKey), await scrape(b.url)]) {
      expect(samples.process_cpu_user_seconds_total).toBeGreaterThan(0);
      expect(samples.process_resident_memory_bytes).toBeGreaterThan(0);
      expect(samples.nodejs_heap_size_used_bytes).toBeGreaterThan(0);
      expect(samples).toHaveProperty('nodejs_eventloop_lag_p99_seconds');
    }
  });

  it('counts REST requests by method, route pattern and status, per service, never by raw URL', async () => {
    for (const kind of ['EntityDoesNotExist', 'ContractInvalid', 'EntityDoesNotExist']) {
      await fetch(`${b.url}/api/v3/dummy/kind/${kind}`);
    }
    await fetch(`${b.url}/api/v3/no/such/route-42`);
    const samples = await scrape(b.url);
    const route = 'route="/api/v3/dummy/kind/:kind"';
    expect(samples[`gw_http_request_duration_seconds_count{method="GET",${route},status="404"}`]).toBe(2);
    expect(samples[`gw_http_request_duration_seconds_count{method="GET",${route},status="400"}`]).toBe(1);
    expect(samples[`gw_http_request_duration_seconds_bucket{le="+Inf",method="GET",${route},status="404"}`]).toBe(2);
    expect(samples['gw_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"}']).toBe(1);
    expect(Object.keys(samples).join('\n')).not.toMatch(/EntityDoesNotExist|route-42/);
    // svc-a saw none of these.
    const other = series(await scrape(a.url, withKey), 'gw_http_request_duration_seconds_count');
    expect(Object.keys(other).filter((key) => key.includes('dummy/kind'))).toEqual([]);
  });

  it("reports the service's bus: counters labelled with the service, and whether it is connected", async () => {
    const received = new Collector();
    await bus.subscribe('metrics-test/#', received.handler);
    const before = await scrape(a.url, withKey);
    for (let i = 0; i < 3; i++) await bus.publish(`metrics-test/${i}`, newEnvelope({ i }));
    await received.until((all) => all.length === 3, 'three messages');
    const after = await scrape(a.url, withKey);
    const delta = (name: string) => after[`${name}{service="svc-a"}`] - before[`${name}{service="svc-a"}`];
    expect(delta('gw_bus_published_total')).toBe(3);
    expect(delta('gw_bus_delivered_total')).toBe(3);
    expect(after).toMatchObject({ 'gw_bus_connected{service="svc-a"}': 1, 'gw_bus_malformed_total{service="svc-a"}': 0 });
    for (const name of ['gw_bus_acknowledged_total', 'gw_bus_handler_errors_total', 'gw_bus_dropped_total', 'gw_bus_reconnects_total']) {
      expect(after).toHaveProperty([`${name}{service="svc-a"}`]);
    }
  });

  it('reports how many bus messages the service holds and has not handled yet', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let handed = 0;
    let firstHanded!: () => void;
    const handedOut = new Promise<void>((resolve) => (firstHanded = resolve));
    const subscription = await bus.subscribe('metrics-held/#', async () => {
      handed++;
      firstHanded();
      await held;
    });
    await bus.publish('metrics-held/1', newEnvelope({}));
    await handedOut;
    expect((await scrape(a.url, withKey))['gw_bus_in_flight{service="svc-a"}']).toBe(handed);
    release();
    await subscription.unsubscribe();
    expect((await scrape(a.url, withKey))['gw_bus_in_flight{service="svc-a"}']).toBe(0);
  });

  it('has no bus series on a service without a bus', async () => {
    expect(series(await scrape(b.url), 'gw_bus_published_total')).toEqual({});
  });

  it('refuses at boot a metric name given twice', async () => {
    await expect(start('svc-twice', { metrics: [busMetrics(bus), busMetrics(bus)] })).rejects.toThrow(/gw_bus_published_total has already been registered/);
  });
});
