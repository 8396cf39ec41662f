/**
 * core-command's GET /api/v3/metrics: every command (REST or bus caller) by
 * method and answer status with its latency, so an operator sees devices
 * timing out (504) apart from refusals (404, 423) and successes.
 */
import { Topics } from '@gw/contracts';
import { createMessageBus, ManagedMessageBus } from '@gw/messaging';
import { RunningCoreCommand } from '../../apps/core-command/src/core-command.app';
import { scrape, Scrape } from '../support/prometheus';
import { busCommand, call, SeededMetadata, SERVICE, startTestCoreCommand, TestResponder, uniqueTopicBase } from './support';

const TIMEOUT_MS = 300;
const count = (samples: Scrape, method: string, status: number) =>
  samples[`gw_core_command_duration_seconds_count{method="${method}",status="${status}"}`] ?? 0;

describe('core-command metrics', () => {
  const topicBase = uniqueTopicBase();
  const topics = new Topics(topicBase);
  let bus: ManagedMessageBus;
  let metadata: SeededMetadata;
  let core: RunningCoreCommand;
  let responder: TestResponder;

  beforeAll(async () => {
    bus = createMessageBus({ type: 'memory' });
    await bus.connect();
    metadata = await SeededMetadata.start(bus, topicBase);
    core = await startTestCoreCommand(bus, metadata.url, topicBase, TIMEOUT_MS);
    responder = new TestResponder(bus, topics, SERVICE);
    await responder.start();
  });

  afterAll(async () => {
    await responder?.stop();
    await core?.close();
    await metadata?.close();
    await bus?.close();
  });

  it('counts commands by method and status, REST and bus callers alike, with their latency', async () => {
    const before = await scrape(core.url);
    expect((await call(core.url, 'GET', '/device/name/Pump-1/Speed')).status).toBe(200);
    expect((await call(core.url, 'PUT', '/device/name/Pump-1/Speed', { Speed: '10' })).status).toBe(200);
    expect((await busCommand(bus, topics, 'Pump-2', 'Speed', 'get')).errorCode).toBe(0);
    expect((await call(core.url, 'GET', '/device/name/No-Such-Pump/Speed')).status).toBe(404);
    expect((await call(core.url, 'GET', '/device/name/Pump-Locked-Service/Speed')).status).toBe(423);
    expect((await call(core.url, 'GET', '/device/name/Pump-Silent/Speed')).status).toBe(504);

    const after = await scrape(core.url);
    const delta = (method: string, status: number) => count(after, method, status) - count(before, method, status);
    expect([delta('get', 200), delta('set', 200), delta('get', 404), delta('get', 423), delta('get', 504)]).toEqual([2, 1, 1, 1, 1]);
    // The timed-out command waited the whole command timeout (300 ms).
    const fast = after['gw_core_command_duration_seconds_bucket{le="0.25",method="get",status="504"}'] ?? 0;
    expect(fast).toBe(count(before, 'get', 504));
    expect(after['gw_bus_connected{service="core-command"}']).toBe(1);
  });
});
