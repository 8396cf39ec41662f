/**
 * core-metadata's own series on GET /api/v3/metrics: how many devices,
 * profiles, device services and provision watchers it holds, counted in the
 * database at each scrape. A count that fails (the database away) keeps the
 * last value and is logged; the scrape still answers.
 */
import { Logger, MetricSet, scrapedGauge } from '@gw/service-kit';
import type { MetadataStores } from './persistence/metadata-stores';

export function metadataMetrics(stores: MetadataStores, logger: Logger): MetricSet {
  return (registry) => {
    const gauge = (name: string, help: string, store: { count(): Promise<number> }) => {
      let last: number | undefined;
      scrapedGauge(registry, { name, help }, async () => {
        try {
          last = await store.count();
        } catch (err) {
          logger.warn({ metric: name, err: (err as Error).message }, 'metrics: counting failed; showing the last count');
        }
        return last;
      });
    };
    gauge('gw_metadata_devices', 'Devices in core-metadata', stores.devices);
    gauge('gw_metadata_device_profiles', 'Device profiles in core-metadata', stores.profiles);
    gauge('gw_metadata_device_services', 'Device services registered in core-metadata', stores.services);
    gauge('gw_metadata_provision_watchers', 'Provision watchers in core-metadata', stores.watchers);
  };
}
