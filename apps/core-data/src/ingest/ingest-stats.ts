/**
 * Why an event from a device was refused although it was well-formed, each
 * with its Prometheus label (gw_core_data_events_rejected_total{reason}) and
 * its log line. The one list of reasons: counters, metrics and logs follow it.
 */
export const REFUSALS = {
  /** core-metadata does not know its deviceName. */
  unknownDevice: { label: 'unknown_device', log: 'core-data: refused an event of a device core-metadata does not know' },
  /** core-metadata knows the device with another profile. */
  wrongProfile: { label: 'wrong_profile', log: 'core-data: refused an event whose profile is not its device’s' },
  /** The topic (or URL path) names another service than the device's. */
  wrongService: { label: 'wrong_service', log: 'core-data: refused an event sent for another service than its device’s' },
  /** The topic (or URL path) names another profile, device or source than the payload, or a reading another device or profile than its event. */
  topicMismatch: { label: 'topic_mismatch', log: 'core-data: refused an event whose topic or readings name another profile, device or source' },
  /** core-metadata could not be asked (REST: 503), or too many events were already waiting for it. */
  unverified: { label: 'unverified', log: 'core-data: refused an event core-metadata could not vouch for' },
} as const;
export type RefusalReason = keyof typeof REFUSALS;
export const REFUSAL_REASONS = Object.keys(REFUSALS) as RefusalReason[];
export type RefusalCounts = Record<RefusalReason, number>;

/**
 * Every ingest counter of core-data in one place: the bus handler, the batch
 * writer and REST ingest count here, the periodic summary and tests read here.
 * Plain fields, incremented in place: no allocation on the hot path.
 */
export class IngestStats {
  /** Event messages taken off the bus (valid or not). */
  received = 0;
  /** Bus messages or REST bodies not stored: not a valid AddEventRequest, too large, or refused (below). */
  rejected = 0;
  /** Events refused for their size (more readings than maxReadingsPerEvent, or a bus message over maxBody bytes); counted in `rejected` too. */
  oversized = 0;
  /** Events refused because they do not come from the device they name, by reason; counted in `rejected` too. */
  readonly refused = Object.fromEntries(REFUSAL_REASONS.map((reason) => [reason, 0])) as RefusalCounts;
  /** Events waiting in memory for core-metadata to answer (acknowledged to the bus). */
  parkedEvents = 0;
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
      refused: { ...this.refused },
      parkedEvents: this.parkedEvents,
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
  refused: RefusalCounts;
  parkedEvents: number;
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
