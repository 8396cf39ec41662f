/**
 * autoEvent throughput of one device service (virtual driver, in-process bus,
 * one subscriber counting events), as a figure rather than a check: skipped
 * unless GW_BENCH=1.
 *
 *   GW_BENCH=1 N=3000 INTERVAL=100ms npx jest test/device-sdk/autoevent-throughput.test.ts
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { MetadataClient } from '@gw/clients';
import { parseDuration } from '@gw/contracts';
import { startDeviceService } from '@gw/device-sdk';
import { VirtualDriver } from '@gw/drivers/virtual';
import { createMessageBus, MemoryBroker } from '@gw/messaging';
import { startMetadata } from '../../apps/metadata/src/metadata.app';
import { testSqlite } from '../support/database';
import { quietLogger } from '../support/quiet-logger';
import { MetadataClient as RestClient } from '../metadata/metadata-client';

const N = Number(process.env.N ?? 1000);
const INTERVAL = process.env.INTERVAL ?? '100ms';
const MEASURE_MS = 5_000;

(process.env.GW_BENCH === '1' ? it : it.skip)(`autoEvent throughput of ${N} devices every ${INTERVAL}`, async () => {
  const db = testSqlite('metadata.db');
  const topicBase = `bench-${randomBytes(3).toString('hex')}`;
  const bus = createMessageBus({ type: 'memory', broker: new MemoryBroker() });
  await bus.connect();
  const metadata = await startMetadata(
    {
      host: '127.0.0.1',
      port: 0,
      database: db.config,
      maxResultCount: 100_000,
      topicBase,
      folders: { profilesDir: join(__dirname, '../../resources/profiles') },
    },
    { bus, logger: quietLogger() },
  );
  try {
    const rest = new RestClient(metadata.url);
    await rest.batch('POST', '/deviceservice', 'service', [{ name: 'bench', baseAddress: 'http://bench:1', adminState: 'UNLOCKED' }]);
    const devices = Array.from({ length: N }, (_, i) => ({
      name: `D${i}`,
      serviceName: 'bench',
      profileName: 'Demo-Sensor',
      protocols: { other: { Address: `a${i}` } },
      autoEvents: [{ interval: INTERVAL, sourceName: 'Climate' }],
    }));
    for (let i = 0; i < N; i += 500) await rest.batch('POST', '/device', 'device', devices.slice(i, i + 500));
    let received = 0;
    await bus.subscribe(`${topicBase}/events/device/#`, () => void received++);
    const service = await startDeviceService(
      { serviceName: 'bench', host: '127.0.0.1', port: 0, topicBase },
      { bus, logger: quietLogger(), driver: new VirtualDriver(), metadata: new MetadataClient({ baseUrl: metadata.url }) },
    );
    try {
      await service.ready;
      await new Promise((resolve) => setTimeout(resolve, 1_000)); // every device past its first tick
      const before = { received, skipped: service.stats().autoEvents.skipped, cpu: process.cpuUsage(), at: performance.now() };
      const loop = monitorEventLoopDelay({ resolution: 10 });
      loop.enable();
      await new Promise((resolve) => setTimeout(resolve, MEASURE_MS));
      loop.disable();
      const secs = (performance.now() - before.at) / 1000;
      const cpu = process.cpuUsage(before.cpu);
      const events = (received - before.received) / secs;
      console.log(
        [
          `devices=${N} interval=${INTERVAL}`,
          `events/s=${events.toFixed(0)} (due ${((N * 1000) / parseDuration(INTERVAL)).toFixed(0)})`,
          `readings/s=${(events * 2).toFixed(0)}`,
          `cpu=${(((cpu.user + cpu.system) / 1e6 / secs) * 100).toFixed(0)}%`,
          `loop-delay p99=${(loop.percentile(99) / 1e6).toFixed(1)}ms`,
          `skipped/s=${((service.stats().autoEvents.skipped - before.skipped) / secs).toFixed(0)}`,
        ].join(' '),
      );
    } finally {
      await service.close();
    }
  } finally {
    await metadata.close();
    await bus.close();
    await db.cleanup();
  }
}, 120_000);

