/**
 * What a big device profile costs core-metadata: the time of the upload and
 * how long GET /api/v3/ping waits meanwhile (the process answers nothing while
 * a profile is parsed and validated). Cases: YAML (multipart upload) and JSON
 * at the default limit (5,000 resources, each with description, attributes and
 * properties, as a Modbus profile has), and 50,000 bare resources (the issue's
 * upload, 3.5 MB of JSON, 3.8 MB of YAML), which the limit refuses before
 * validating or parsing them (JSON: a 207 whose item is 413).
 *
 * A YAML upload this large is parsed in core-metadata's worker thread
 * (apps/metadata/src/domain/profile-parser.ts): its ping stall is what stays
 * in the service's thread (the multipart body, the store). To compare with
 * parsing in place, move dist/apps/metadata/src/domain/profile-parse.worker.js
 * away and run dist/bench/profile-upload.js. On a busy 2-core machine the
 * pinger competes with the worker for CPU, so the upload itself may take longer.
 *
 * Metadata runs here on SQLite in a temp dir and the in-process bus; the
 * pinger runs in a worker thread (its own event loop), one ping after another,
 * and reports the longest wait seen during each upload.
 *
 * Env: BENCH_PROFILE_RUNS (3 per case; the figure is the worst).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { stringify } from 'yaml';
import { createMessageBus } from '@gw/messaging';
import { createLogger } from '@gw/service-kit';
import { startMetadata } from '../apps/metadata/src/metadata.app';
import { DEFAULT_PROFILE_LIMITS } from '../apps/metadata/src/domain/profile-limits';

const RUNS = Number(process.env.BENCH_PROFILE_RUNS ?? 3);

/**
 * `full`: resources as a Modbus profile has them, and a command reading each ten
 * of them (500 commands, 5,000 resourceOperations at the limit); otherwise the
 * bare minimum, so 50,000 fit in GW_MAX_BODY (4 MiB).
 */
function profile(name: string, resources: number, full: boolean) {
  const resource = (i: number) =>
    full
      ? {
          name: `Register-${i}`,
          description: `holding register ${i}`,
          attributes: { primaryTable: 'HOLDING_REGISTERS', startingAddress: i, rawType: 'INT16' },
          properties: { valueType: 'Float32', readWrite: 'RW', units: 'degC', scale: 0.1 },
        }
      : { name: `R${i}`, properties: { valueType: 'Int32', readWrite: 'RW' } };
  const command = (i: number) => ({
    name: `Block-${i}`,
    readWrite: 'R',
    resourceOperations: Array.from({ length: 10 }, (_, k) => ({ deviceResource: `Register-${i * 10 + k}` })),
  });
  const deviceResources = Array.from({ length: resources }, (_, i) => resource(i));
  return full ? { name, deviceResources, deviceCommands: Array.from({ length: resources / 10 }, (_, i) => command(i)) } : { name, deviceResources };
}

/**
 * The worker: pings until terminated, answering each 'max' with the longest
 * wait since the last one; a ping sent before that 'max' is not counted after it.
 */
async function pinger(url: string): Promise<void> {
  let max = 0;
  let since = 0;
  parentPort!.on('message', (msg: string) => {
    if (msg === 'max') {
      parentPort!.postMessage(max);
      max = 0;
      since = performance.now();
    }
  });
  for (;;) {
    const started = performance.now();
    await (await fetch(`${url}/api/v3/ping`)).text();
    if (started >= since) max = Math.max(max, performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-profile-'));
  const bus = createMessageBus({ type: 'memory' });
  await bus.connect();
  const metadata = await startMetadata(
    { host: '127.0.0.1', port: 0, database: { type: 'sqlite', path: join(dir, 'metadata.db') }, maxResultCount: 1000, topicBase: 'edgex' },
    { bus, logger: createLogger('core-metadata', 'silent') },
  );
  const worker = new Worker(__filename, { workerData: { url: metadata.url } });
  const longestPing = () =>
    new Promise<number>((resolve) => {
      worker.once('message', resolve);
      worker.postMessage('max');
    });
  let sequence = 0;
  // The request is built before the clock starts: encoding 50,000 resources as YAML takes this thread a second too.
  const request = (kind: 'yaml' | 'json', resources: number): [string, RequestInit] => {
    const body = profile(`Bench-${++sequence}`, resources, resources <= DEFAULT_PROFILE_LIMITS.maxResources);
    if (kind === 'yaml') {
      const form = new FormData();
      form.append('file', new Blob([stringify(body)], { type: 'application/x-yaml' }), 'bench.yaml');
      return [`${metadata.url}/api/v3/deviceprofile/uploadfile`, { method: 'POST', body: form }];
    }
    const json = JSON.stringify([{ apiVersion: 'v3', profile: body }]);
    return [`${metadata.url}/api/v3/deviceprofile`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: json }];
  };
  try {
    const max = DEFAULT_PROFILE_LIMITS.maxResources;
    const cases = [
      { kind: 'yaml', resources: max, expect: 201 },
      { kind: 'json', resources: max, expect: 207 },
      { kind: 'yaml', resources: 50_000, expect: 413 },
      { kind: 'json', resources: 50_000, expect: 207 },
    ] as const;
    let summary = 0;
    for (const c of cases) {
      let worstUpload = 0;
      let worstPing = 0;
      for (let run = 0; run < RUNS; run++) {
        const [url, init] = request(c.kind, c.resources);
        await longestPing(); // reset
        const started = performance.now();
        const res = await fetch(url, init);
        const text = await res.text();
        const took = performance.now() - started;
        if (res.status !== c.expect) throw new Error(`${c.kind} ${c.resources}: expected ${c.expect}, got ${res.status}: ${text.slice(0, 300)}`);
        worstUpload = Math.max(worstUpload, took);
        worstPing = Math.max(worstPing, await longestPing());
      }
      const what = `${c.kind}-${c.resources}`;
      console.log(`profile-upload-${what}: ${Math.round(worstUpload)} ms (status ${c.expect}; worst of ${RUNS})`);
      console.log(`profile-ping-stall-${what}: ${Math.round(worstPing)} ms (longest ping during the upload)`);
      if (c.resources === max) summary = Math.max(summary, worstPing);
    }
    console.log(`profile-ping-stall-at-limit: ${Math.round(summary)} ms (longest ping during a ${max}-resource upload, YAML or JSON)`);
  } finally {
    await worker.terminate();
    await metadata.close();
    await bus.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMainThread) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  void pinger((workerData as { url: string }).url);
}
