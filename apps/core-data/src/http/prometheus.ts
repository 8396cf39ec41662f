/** core-data's ingest figures for Prometheus (GET /api/v3/metrics), read at each scrape. */
import { MetricSet, scrapedCounter, scrapedGauge } from '@gw/service-kit';
import { IngestFigures, REFUSAL_REASONS, REFUSALS } from '../ingest/ingest-stats';

/** What the metrics read at each scrape. */
export interface CoreDataFigures {
  ingest(): IngestFigures;
  /** Devices in core-data's view of core-metadata (0 while the check is off). */
  knownDevices(): number;
}

export function coreDataMetrics(source: CoreDataFigures): MetricSet {
  return (registry) => {
    const counter = (name: string, help: string, pick: (f: IngestFigures) => number) =>
      scrapedCounter(registry, { name, help }, () => pick(source.ingest()));
    const gauge = (name: string, help: string, pick: () => number) => scrapedGauge(registry, { name, help }, pick);

    counter('gw_core_data_events_received_total', 'Event messages taken off the bus, valid or not', (f) => f.received);
    scrapedCounter(
      registry,
      {
        name: 'gw_core_data_events_rejected_total',
        help: 'Events (bus or REST) not stored, by reason: malformed, oversized, refused by the database, or not from the device they name',
        labelNames: ['reason'],
      },
      (emit) => {
        const f = source.ingest();
        const refused = Object.values(f.refused).reduce((sum, n) => sum + n, 0);
        emit(f.rejected - f.oversized - f.refusedByDatabase - refused, { reason: 'malformed' });
        emit(f.oversized, { reason: 'oversized' });
        emit(f.refusedByDatabase, { reason: 'database' });
        for (const reason of REFUSAL_REASONS) emit(f.refused[reason], { reason: REFUSALS[reason].label });
      },
    );
    counter('gw_core_data_events_persisted_total', 'Events written for the first time', (f) => f.eventsPersisted);
    counter('gw_core_data_readings_persisted_total', 'Readings written', (f) => f.readingsPersisted);
    counter('gw_core_data_events_duplicate_total', 'Events already stored (redelivered or repeated)', (f) => f.duplicates);
    counter('gw_core_data_batches_total', 'Transactions committed', (f) => f.batches);
    counter('gw_core_data_write_errors_total', 'Failed write attempts (each retried)', (f) => f.writeErrors);
    gauge('gw_core_data_queued_events', 'Events accepted and not yet written', () => source.ingest().queuedEvents);
    gauge('gw_core_data_queued_readings', 'Readings accepted and not yet written', () => source.ingest().queuedReadings);
    gauge('gw_core_data_parked_events', 'Events waiting in memory for core-metadata to vouch for their device', () => source.ingest().parkedEvents);
    gauge('gw_core_data_known_devices', 'Devices in core-data’s view of core-metadata', () => source.knownDevices());
  };
}
