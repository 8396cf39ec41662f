/** A service's GET /api/v3/metrics as Prometheus reads it: `name{labels}` → value. */
export type Scrape = Record<string, number>;

/** Scrapes `baseUrl` (a service's URL); fails unless it answers 200 in the Prometheus text format. */
export async function scrape(baseUrl: string, headers: Record<string, string> = {}): Promise<Scrape> {
  const res = await fetch(`${baseUrl}/api/v3/metrics`, { headers });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${baseUrl}/api/v3/metrics: ${res.status} ${text}`);
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parsePrometheus(text);
}

export function parsePrometheus(text: string): Scrape {
  const samples: Scrape = {};
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples[line.slice(0, space)] = Number(line.slice(space + 1));
  }
  return samples;
}

/** The samples of one metric (all its label sets), e.g. series(s, 'gw_device_read_errors_total'). */
export function series(samples: Scrape, name: string): Scrape {
  return Object.fromEntries(Object.entries(samples).filter(([key]) => key === name || key.startsWith(`${name}{`)));
}
