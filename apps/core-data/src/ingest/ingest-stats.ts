/**
 * Every ingest counter of core-data in one place: the bus handler, the batch
 * writer and REST ingest count here, the periodic summary and tests read here.
 * Plain fields, incremented in place: no allocation on the hot path.
 */
export class IngestStats {
  /** Event messages taken off the bus (valid or not). */
  received = 0;
  /** Bus messages or REST bodies that were not a valid AddEventRequest. */
  rejected = 0;
  /** Events refused for their size (more readings than maxReadingsPerEvent, or a bus message over maxBody bytes); counted in `rejected` too. */
  oversized = 0;
  /** Events the database refused even alone (logged with the reason); counted in `rejected` too. */
  refusedByDatabase = 0;
  /** Events written for the first time. */
  eventsPersisted = 0;
  readingsPersisted = 0;
  /** Events already stored (at-least-once redelivery, or a repeated REST add). */
  duplicates = 0;
  /** Transactions committed. */
  batches = 0;
  /** Failed write attempts (each retried, or split to isolate a refused event). */
  writeErrors = 0;
  /** Duration of the last committed batch, ms. */
  lastBatchMs = 0;

  private gauges: QueueGauges = NO_QUEUE;

  snapshot(): IngestFigures {
    return {
      received: this.received,
      rejected: this.rejected,
      oversized: this.oversized,
      refusedByDatabase: this.refusedByDatabase,
      eventsPersisted: this.eventsPersisted,
      readingsPersisted: this.readingsPersisted,
      duplicates: this.duplicates,
      batches: this.batches,
      writeErrors: this.writeErrors,
      lastBatchMs: this.lastBatchMs,
      queuedEvents: this.gauges.queuedEvents(),
      queuedReadings: this.gauges.queuedReadings(),
    };
  }

  /** Connects the queue depth gauges once the writer exists. */
  watchQueue(gauges: QueueGauges): void {
    this.gauges = gauges;
  }
}

export interface IngestFigures {
  received: number;
  rejected: number;
  oversized: number;
  refusedByDatabase: number;
  eventsPersisted: number;
  readingsPersisted: number;
  duplicates: number;
  batches: number;
  writeErrors: number;
  lastBatchMs: number;
  queuedEvents: number;
  queuedReadings: number;
}

export interface QueueGauges {
  queuedReadings(): number;
  queuedEvents(): number;
}

const NO_QUEUE: QueueGauges = { queuedReadings: () => 0, queuedEvents: () => 0 };
