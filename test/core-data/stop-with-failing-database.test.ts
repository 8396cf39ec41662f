/**
 * A stop while the database fails (here: full, as a full disk makes it) loses
 * nothing: core-data gives up after GW_CORE_DATA_CLOSE_TIMEOUT and leaves the
 * events it could not commit unacknowledged, and the broker hands them to the
 * next start, which stores every event exactly once.
 */
import { createMessageBus, ManagedMessageBus, MemoryBroker } from '@gw/messaging';
import { testSqlite } from '../support/database';
import { bootCoreData, Booted, makeEvent, pollUntil, publishEvent } from './support';

describe('core-data stopping while its database fails', () => {
  const db = testSqlite();
  const broker = new MemoryBroker();
  const buses: ManagedMessageBus[] = [];
  const running: Booted[] = [];

  async function start(): Promise<{ bus: ManagedMessageBus } & Booted> {
    const bus = createMessageBus({ type: 'memory', broker });
    buses.push(bus);
    await bus.connect();
    const booted = await bootCoreData(db, bus, { deviceCheck: false, closeTimeout: 300 });
    running.push(booted);
    await booted.coreData.consuming;
    return { bus, ...booted };
  }

  afterAll(async () => {
    for (const { coreData } of running) await coreData.close().catch(() => undefined);
    for (const bus of buses) await bus.close();
    await db.cleanup();
  });

  it('hands back what it could not commit, and the next start stores every event once', async () => {
    const first = await start();
    const before = Array.from({ length: 5 }, () => makeEvent());
    for (const event of before) await publishEvent(first.bus, 'edgex', event);
    await first.commits.waitFor(before.length);

    // No page more for this connection: every insert needing one fails with SQLITE_FULL, which is retried.
    const [{ page_count: pages }] = (await first.coreData.dataSource.query('PRAGMA page_count')) as Array<{ page_count: number }>;
    await first.coreData.dataSource.query(`PRAGMA max_page_count = ${pages}`);
    const during = Array.from({ length: 200 }, () => makeEvent());
    for (const event of during) await publishEvent(first.bus, 'edgex', event);
    await pollUntil(() => first.coreData.stats().writeErrors > 0, 'a write failing for want of space');

    await first.coreData.close();
    expect(first.bus.stats().handedBack).toBeGreaterThan(0);

    // A new process: its own connection, the database file with room again.
    const second = await start();
    const all = [...before, ...during];
    await pollUntil(async () => (await second.client.count('/event/count')) === all.length, `all ${all.length} events stored`, 30_000);
    const stored = await second.coreData.dataSource.query('SELECT id FROM events');
    expect(new Set((stored as Array<{ id: string }>).map((row) => row.id))).toEqual(new Set(all.map((event) => event.id)));
  });
});
