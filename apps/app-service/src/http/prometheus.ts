/**
 * The export figures in Prometheus text format, read at scrape time from the
 * running routes: nothing is counted twice, and a scrape costs no database
 * query (the outbox keeps its counters in memory).
 */
import type { GroupCommitStats } from '../outbox/group-commit';
import type { PipelineFigures } from '../pipeline/pipeline-runner';
import { MetricSet, scrapedCounter, scrapedGauge } from '@gw/service-kit';
import type { ExportFiguresSource, RouteFigures } from './figures';

type Scraped = typeof scrapedCounter | typeof scrapedGauge;

export function exportMetrics(source: ExportFiguresSource): MetricSet {
  return (registry) => {
    const routeLabels = ['route', 'pipeline', 'sink', 'sink_type'];
    const labelsOf = (r: RouteFigures) => ({ route: r.route, pipeline: r.pipeline, sink: r.sink, sink_type: r.sinkType });
    const perRoute = (type: Scraped, name: string, help: string, pick: (r: RouteFigures) => number) =>
      type(registry, { name, help, labelNames: routeLabels }, (emit) => {
        for (const r of source.routes()) emit(pick(r), labelsOf(r));
      });

    perRoute(scrapedCounter, 'gw_export_records_total', 'Records the sink accepted', (r) => r.exported);
    perRoute(scrapedCounter, 'gw_export_retries_total', 'Failed delivery attempts, each followed by a back-off', (r) => r.retries);
    scrapedCounter(
      registry,
      { name: 'gw_export_dropped_total', help: 'Records dropped by the outbox, by reason (full, expired, rejected by the sink)', labelNames: [...routeLabels, 'reason'] },
      (emit) => {
        for (const r of source.routes()) {
          for (const reason of ['full', 'expired', 'rejected'] as const) emit(r.dropped[reason], { ...labelsOf(r), reason });
        }
      },
    );
    perRoute(scrapedGauge, 'gw_export_pending_records', 'Records waiting in the outbox', (r) => r.pending);
    perRoute(scrapedGauge, 'gw_export_pending_bytes', 'Bytes of the records waiting in the outbox', (r) => r.pendingBytes);
    perRoute(scrapedGauge, 'gw_export_connected', '1 while the sink is reachable', (r) => (r.connected ? 1 : 0));
    scrapedGauge(
      registry,
      {
        name: 'gw_export_connection_error',
        help: 'While the sink is not connected: 1 on the reason its last connection attempt failed (no series while connected or before any failure); the text is on /api/v3/exports',
        labelNames: [...routeLabels, 'reason'],
      },
      (emit) => {
        // Only while down: a series left at 1 after the sink recovered would keep an alert on it firing.
        for (const r of source.routes()) if (r.connectionError && !r.connected) emit(1, { ...labelsOf(r), reason: r.connectionError.reason });
      },
    );
    perRoute(scrapedGauge, 'gw_export_last_connection_error_timestamp_seconds', 'When the sink last failed to connect (0 = never)', (r) =>
      r.connectionError ? Date.parse(r.connectionError.at) / 1000 : 0,
    );
    perRoute(scrapedGauge, 'gw_export_last_connect_timestamp_seconds', 'When the sink last connected (0 = never, or a sink without a connection)', (r) =>
      r.lastConnectedAt ? Date.parse(r.lastConnectedAt) / 1000 : 0,
    );
    perRoute(scrapedGauge, 'gw_export_last_delivery_timestamp_seconds', 'When the sink last accepted records (0 = never)', (r) =>
      r.lastDeliveredAt ? Date.parse(r.lastDeliveredAt) / 1000 : 0,
    );
    scrapedCounter(
      registry,
      { name: 'gw_export_messages_rejected_total', help: 'Messages from the destination a sink could not read (KubeEdge deltas and results), each logged naming the field', labelNames: ['sink', 'sink_type'] },
      (emit) => {
        // Per sink, not per route: routes of one sink share its connection.
        const sinks = new Map(source.routes().filter((r) => r.rejectedMessages !== undefined).map((r) => [r.sink, r]));
        for (const r of sinks.values()) emit(r.rejectedMessages!, { sink: r.sink, sink_type: r.sinkType });
      },
    );

    const perPipeline = (name: string, help: string, pick: (p: PipelineFigures) => number) =>
      scrapedCounter(registry, { name, help, labelNames: ['pipeline'] }, (emit) => {
        for (const p of source.pipelines()) emit(pick(p), { pipeline: p.pipeline });
      });
    perPipeline('gw_pipeline_events_received_total', 'Events a pipeline received from the bus', (p) => p.received);
    perPipeline('gw_pipeline_events_filtered_total', 'Events a pipeline filtered out', (p) => p.filteredOut);
    perPipeline('gw_pipeline_events_rejected_total', 'Bus messages a pipeline could not read (malformed events)', (p) => p.rejected);
    perPipeline('gw_pipeline_store_errors_total', 'Outbox writes that failed (the bus message is held and retried)', (p) => p.storeErrors);

    const outbox = (type: Scraped, name: string, help: string, pick: (o: GroupCommitStats) => number) =>
      type(registry, { name, help }, () => pick(source.outbox()));
    outbox(scrapedCounter, 'gw_outbox_commits_total', 'Outbox transactions committed (each holds the bus messages that arrived together)', (o) => o.commits);
    outbox(scrapedCounter, 'gw_outbox_committed_records_total', 'Records committed to the outbox (one per message and route)', (o) => o.records);
    outbox(scrapedGauge, 'gw_outbox_messages_waiting', 'Bus messages waiting for their outbox commit (unacknowledged)', (o) => o.waiting);
  };
}
