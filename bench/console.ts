/**
 * The web console's cost inside the gateway and its live-readings fan-out.
 *
 * Start: loading the console's server (apps/console/src/console.app) and
 * starting it (HTTP listener, one bus subscription), and the resident memory
 * that adds, in a process that already has the bus loaded as the gateway does.
 * Fan-out: BENCH_CONSOLE_BROWSERS browsers following every device event over
 * server-sent events (real HTTP connections, reading as fast as they can) while
 * BENCH_CONSOLE_EVENTS events are published on the in-process bus at once:
 * events delivered per second over all browsers, and how many the bounded
 * per-browser queue (GW_CONSOLE_CLIENT_QUEUE, default 256) dropped.
 * Events are published BENCH_CONSOLE_BATCH at a time per turn of the event
 * loop, as device services publish between I/O.
 * Env: BENCH_CONSOLE_BROWSERS (10), BENCH_CONSOLE_EVENTS (20000), BENCH_CONSOLE_BATCH (20).
 */
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Topics } from '@gw/contracts';
import { createMessageBus, newEnvelope } from '@gw/messaging';
import { createLogger } from '@gw/service-kit/logger';

const BROWSERS = Number(process.env.BENCH_CONSOLE_BROWSERS ?? 10);
const EVENTS = Number(process.env.BENCH_CONSOLE_EVENTS ?? 20_000);
/** Events published per turn of the event loop. */
const BATCH = Number(process.env.BENCH_CONSOLE_BATCH ?? 20);

/** Follows the stream, counting `data:` events; resolves the count once `expected` arrived or the stream went quiet for 2 s. */
function follow(url: string, expected: number, opened: () => void): Promise<number> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    let quiet: NodeJS.Timeout | undefined;
    const req = request(`${url}/api/console/events`, (res) => {
      opened();
      res.setEncoding('utf8');
      let tail = '';
      res.on('data', (chunk: string) => {
        const text = tail + chunk;
        const blocks = text.split('\n\n');
        tail = blocks.pop() ?? '';
        seen += blocks.filter((b) => b.startsWith('data: ')).length;
        clearTimeout(quiet);
        if (seen >= expected) {
          req.destroy();
          resolve(seen);
        } else quiet = setTimeout(() => (req.destroy(), resolve(seen)), 2_000);
      });
    });
    req.on('error', (err) => (seen >= expected ? undefined : reject(err)));
    req.end();
  });
}

async function main(): Promise<void> {
  const logger = createLogger('bench', 'silent');
  const bus = createMessageBus({ type: 'memory' });
  await bus.connect();

  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const t0 = performance.now();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startConsole } = require('../apps/console/src/console.app') as typeof import('../apps/console/src/console.app');
  const t1 = performance.now();
  const console_ = await startConsole(
    {
      host: '127.0.0.1',
      port: 0,
      maxBody: 4 * 1024 * 1024,
      topicBase: 'edgex',
      metadataUrl: 'http://127.0.0.1:9',
      coreDataUrl: 'http://127.0.0.1:9',
      coreCommandUrl: 'http://127.0.0.1:9',
      maxClients: 50,
      clientQueue: 256,
      upstreamTimeout: 15_000,
    },
    { bus, logger },
  );
  const t2 = performance.now();
  global.gc?.();
  const rssAfter = process.memoryUsage().rss;
  console.log(`console-load: ${(t1 - t0).toFixed(1)} ms (require of the console's server)`);
  console.log(`console-start: ${(t2 - t1).toFixed(1)} ms (listening, subscribed)`);
  console.log(`console-rss: ${((rssAfter - rssBefore) / 1024 / 1024).toFixed(1)} MB (added by loading and starting it${global.gc ? '' : '; run with --expose-gc for a steadier figure'})`);

  let opened = 0;
  let allOpen!: () => void;
  const ready = new Promise<void>((resolve) => (allOpen = resolve));
  const followers = Array.from({ length: BROWSERS }, () => follow(console_.url, EVENTS, () => ++opened === BROWSERS && allOpen()));
  await ready;
  const topics = new Topics('edgex');
  const started = performance.now();
  for (let i = 0; i < EVENTS; i++) {
    const device = `Device-${i % 100}`;
    const event = {
      apiVersion: 'v3',
      id: `e${i}`,
      deviceName: device,
      profileName: 'Bench',
      sourceName: 'Temperature',
      origin: Date.now() * 1e6,
      readings: [{ id: `r${i}`, deviceName: device, profileName: 'Bench', resourceName: 'Temperature', origin: Date.now() * 1e6, valueType: 'Float64', value: String(20 + (i % 10)) }],
    };
    await bus.publish(topics.deviceEvent('device-bench', 'Bench', device, 'Temperature'), newEnvelope({ apiVersion: 'v3', requestId: '', event }));
    // As device services publish, between I/O: the sockets get to drain (a tight loop would only measure the drops).
    if (i % BATCH === BATCH - 1) await new Promise((resolve) => setImmediate(resolve));
  }
  const counts = await Promise.all(followers);
  const seconds = (performance.now() - started) / 1000;
  const delivered = counts.reduce((a, b) => a + b, 0);
  const figures = console_.figures();
  await console_.close();
  await bus.close();
  console.log(`console-fanout-dropped: ${figures.dropped} events (queue 256 per browser, ${BATCH} events per event-loop turn)`);
  console.log(`console-fanout: ${Math.round(delivered / seconds)} events/s delivered to ${BROWSERS} browsers (${EVENTS} events published, ${delivered} received)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
