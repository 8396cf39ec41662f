/** The outbox as the app service runs it, around a sink under test. */
import { OutboxStore, resolveOutboxOptions, RouteStats, RouteWorker } from '../../../apps/app-service/src/outbox';
import type { DeliveryError, ExportRecord, OutboxRecord, Sink, SinkLogger } from '../../../apps/app-service/src/sinks/sink';

const logger: SinkLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * Hands `records` to `sink` through a real outbox route, as the app service
 * does (a RouteWorker over an in-memory OutboxStore), until every record is
 * delivered or dropped; returns the route's figures and the deliver() calls.
 */
export async function throughOutbox(sink: Sink, records: ExportRecord[], batch?: { count: number }): Promise<{ stats: RouteStats; calls: number }> {
  const store = new OutboxStore(':memory:', { logger });
  let calls = 0;
  let lastId = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const settled = (page: OutboxRecord[], left: number) => page.at(-1)!.id === lastId && left === 0 && finish();
  const counting: Sink = {
    name: sink.name,
    maxBatch: sink.maxBatch,
    get connected() {
      return sink.connected;
    },
    start: (context) => sink.start(context),
    stop: () => sink.stop(),
    deliver: async (page, options) => {
      calls++;
      try {
        await sink.deliver(page, options);
        settled(page, 0);
      } catch (err) {
        const { delivered, disposition } = err as DeliveryError;
        settled(page, page.length - delivered - (disposition === 'reject' ? 1 : 0));
        throw err;
      }
    },
  };
  const bounds = { ...resolveOutboxOptions(), retryMinMs: 10, retryMaxMs: 50 };
  const worker = new RouteWorker({ route: 'test', batch, gzip: false, bounds }, { store, sink: counting, logger });
  lastId = store.appendMany('test', records).at(-1)!;
  worker.start();
  await finished;
  await worker.stop();
  const stats = worker.stats();
  store.close();
  return { stats, calls };
}
