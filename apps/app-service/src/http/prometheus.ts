/**
 * The export figures in Prometheus text format (prom-client), read at scrape
 * time from the running routes: nothing is counted twice, and a scrape costs
 * no database query (the outbox keeps its counters in memory).
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { ExportFiguresSource } from './figures';

export function exportRegistry(source: ExportFiguresSource): Registry {
  const registry = new Registry();
  const routeLabels = ['route', 'pipeline', 'sink', 'sink_type'] as const;
  const labelsOf = (r: ReturnType<ExportFiguresSource['routes']>[number]) => ({ route: r.route, pipeline: r.pipeline, sink: r.sink, sink_type: r.sinkType });

  // Counters mirror totals kept elsewhere: reset, then set to the current total at each scrape.
  const counter = (name: string, help: string, pick: (r: ReturnType<ExportFiguresSource['routes']>[number]) => number) =>
    new Counter({
      name,
      help,
      labelNames: routeLabels,
      registers: [registry],
      collect() {
        this.reset();
        for (const r of source.routes()) this.inc(labelsOf(r), pick(r));
      },
    });
  const gauge = (name: string, help: string, pick: (r: ReturnType<ExportFiguresSource['routes']>[number]) => number) =>
    new Gauge({
      name,
      help,
      labelNames: routeLabels,
      registers: [registry],
      collect() {
        this.reset();
        for (const r of source.routes()) this.set(labelsOf(r), pick(r));
      },
    });

  counter('gw_export_records_total', 'Records the sink accepted', (r) => r.exported);
  counter('gw_export_retries_total', 'Failed delivery attempts, each followed by a back-off', (r) => r.retries);
  new Counter({
    name: 'gw_export_dropped_total',
    help: 'Records dropped by the outbox, by reason (full, expired, rejected by the sink)',
    labelNames: [...routeLabels, 'reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const r of source.routes()) {
        for (const reason of ['full', 'expired', 'rejected'] as const) this.inc({ ...labelsOf(r), reason }, r.dropped[reason]);
      }
    },
  });
  gauge('gw_export_pending_records', 'Records waiting in the outbox', (r) => r.pending);
  gauge('gw_export_pending_bytes', 'Bytes of the records waiting in the outbox', (r) => r.pendingBytes);
  gauge('gw_export_connected', '1 while the sink is reachable', (r) => (r.connected ? 1 : 0));
  gauge('gw_export_last_delivery_timestamp_seconds', 'When the sink last accepted records (0 = never)', (r) =>
    r.lastDeliveredAt ? Date.parse(r.lastDeliveredAt) / 1000 : 0,
  );

  const pipelineCounter = (name: string, help: string, pick: (p: ReturnType<ExportFiguresSource['pipelines']>[number]) => number) =>
    new Counter({
      name,
      help,
      labelNames: ['pipeline'],
      registers: [registry],
      collect() {
        this.reset();
        for (const p of source.pipelines()) this.inc({ pipeline: p.pipeline }, pick(p));
      },
    });
  pipelineCounter('gw_pipeline_events_received_total', 'Events a pipeline received from the bus', (p) => p.received);
  pipelineCounter('gw_pipeline_events_filtered_total', 'Events a pipeline filtered out', (p) => p.filteredOut);
  pipelineCounter('gw_pipeline_events_rejected_total', 'Bus messages a pipeline could not read (malformed events)', (p) => p.rejected);
  pipelineCounter('gw_pipeline_store_errors_total', 'Outbox writes that failed (the bus message is held and retried)', (p) => p.storeErrors);

  const outbox = (name: string, help: string, type: typeof Counter | typeof Gauge, pick: (o: ReturnType<ExportFiguresSource['outbox']>) => number) =>
    new type({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(pick(source.outbox()));
      },
    });
  outbox('gw_outbox_commits_total', 'Outbox transactions committed (each holds the bus messages that arrived together)', Counter, (o) => o.commits);
  outbox('gw_outbox_committed_records_total', 'Records committed to the outbox (one per message and route)', Counter, (o) => o.records);
  outbox('gw_outbox_messages_waiting', 'Bus messages waiting for their outbox commit (unacknowledged)', Gauge, (o) => o.waiting);
  return registry;
}
