/**
 * A service's message bus for Prometheus, read from ManagedMessageBus.stats()
 * at scrape time. In the one-process gateway the services share one bus: each
 * port then reports that bus's figures under its own service name.
 */
import type { BusStats, ManagedMessageBus, MessageBus } from '@gw/messaging';
import type { MetricSet } from './scraped';
import { scrapedCounter, scrapedGauge } from './scraped';

const COUNTERS: ReadonlyArray<[keyof BusStats, string, string]> = [
  ['published', 'gw_bus_published_total', 'Messages the broker accepted from this service'],
  ['delivered', 'gw_bus_delivered_total', 'Messages handed to this service whose handling succeeded'],
  ['malformed', 'gw_bus_malformed_total', 'Messages that were not a valid envelope (or too large): skipped'],
  ['acknowledged', 'gw_bus_acknowledged_total', 'Durable messages acknowledged to the broker'],
  ['handlerErrors', 'gw_bus_handler_errors_total', 'Messages whose handling threw (logged, considered handled)'],
  ['handedBack', 'gw_bus_handed_back_total', 'Durable messages handed back unacknowledged, for the next session (a stop that could not finish them)'],
  ['dropped', 'gw_bus_dropped_total', 'Messages dropped because a bounded delivery queue was full'],
  ['reconnects', 'gw_bus_reconnects_total', 'Reconnections after the broker connection was lost'],
];

/** Bus counters and the connected gauge, labelled with the service's name; nothing for a bus without stats(). */
export function busMetrics(bus: MessageBus): MetricSet {
  return (registry, service) => {
    const managed = bus as MessageBus & Partial<Pick<ManagedMessageBus, 'stats' | 'connected'>>;
    if (typeof managed.stats !== 'function') return;
    const stats = () => managed.stats!();
    const labels = { service };
    const labelNames = ['service'];
    for (const [field, name, help] of COUNTERS) scrapedCounter(registry, { name, help, labelNames }, (emit) => emit(stats()[field], labels));
    scrapedGauge(
      registry,
      { name: 'gw_bus_in_flight', help: 'Messages handed to this service and not yet handled (durable: not yet acknowledged)', labelNames },
      (emit) => emit(stats().inFlight, labels),
    );
    scrapedGauge(registry, { name: 'gw_bus_connected', help: '1 while the broker connection is up (the in-process bus always is)', labelNames }, (emit) =>
      emit(managed.connected === false ? 0 : 1, labels),
    );
  };
}
