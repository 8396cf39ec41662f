/**
 * Series whose values live elsewhere (a component's stats(), a table's row
 * count) and are read when Prometheus scrapes: nothing is counted twice and
 * the hot path pays nothing. `read` returns the value of an unlabelled series,
 * or calls `emit` once per label set (a label set not emitted disappears).
 */
import { Counter, Gauge, LabelValues, Registry } from 'prom-client';

/** Adds a service's series to its registry; createServiceApp's `metrics` option takes a list of them. */
export type MetricSet = (registry: Registry, serviceName: string) => void;

export interface ScrapedSpec {
  name: string;
  help: string;
  labelNames?: readonly string[];
}

export type Emit = (value: number, labels: LabelValues<string>) => void;
export type ScrapeRead = (emit: Emit) => number | void | Promise<number | void>;

type Sample = [number, LabelValues<string> | undefined];

/** A counter mirroring a total kept elsewhere (it only grows while the process lives). */
export function scrapedCounter(registry: Registry, spec: ScrapedSpec, read: ScrapeRead): Counter {
  return new Counter({
    ...spec,
    labelNames: spec.labelNames ?? [],
    registers: [registry],
    collect() {
      return scrape(read, (samples) => {
        this.reset();
        for (const [value, labels] of samples) {
          if (labels) this.inc(labels, value);
          else this.inc(value);
        }
      });
    },
  });
}

/** A gauge read at each scrape (a queue depth, a row count, 1 while connected). */
export function scrapedGauge(registry: Registry, spec: ScrapedSpec, read: ScrapeRead): Gauge {
  return new Gauge({
    ...spec,
    labelNames: spec.labelNames ?? [],
    registers: [registry],
    collect() {
      return scrape(read, (samples) => {
        this.reset();
        for (const [value, labels] of samples) {
          if (labels) this.set(labels, value);
          else this.set(value);
        }
      });
    },
  });
}

/** Reads first, then replaces the series at once: they change only once the read succeeded. */
function scrape(read: ScrapeRead, apply: (samples: Sample[]) => void): void | Promise<void> {
  const samples: Sample[] = [];
  const done = (value: number | void) => {
    if (typeof value === 'number') samples.push([value, undefined]);
    apply(samples);
  };
  const result = read((value, labels) => void samples.push([value, labels]));
  return result instanceof Promise ? result.then(done) : done(result);
}
