import { setImmediate as nextTurn } from 'node:timers/promises';
import type { DeleteFilter, EventStore } from '../persistence/event-store';

/**
 * Deletes every matching event in statements of at most `batch` events, giving
 * the event loop (and the batch writer) a turn between them: a large purge
 * never holds the database, or, on SQLite, the whole process, for long.
 */
export async function deleteInBatches(store: EventStore, filter: DeleteFilter, batch: number): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await store.deleteEvents(filter, batch);
    total += deleted;
    if (deleted < batch) return total;
    await nextTurn();
  }
}
