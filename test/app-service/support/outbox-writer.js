'use strict';
/**
 * Child process of outbox-kill.test.ts: appends numbered records to an outbox
 * as fast as it can, alternating append() and appendMany(), and prints
 * `<id> <n>` for each record only after the call storing it returned, until
 * it is killed. Plain JavaScript running the built outbox (dist/), so it
 * starts like the service does: `node <file>`, no TypeScript loader.
 *
 * argv: <dist dir> <outbox file> <first n>
 */
const [distDir, file, first] = process.argv.slice(2);
// The store alone: it needs none of the project's path aliases, which only a complete build resolves.
const { OutboxStore } = require(`${distDir}/apps/app-service/src/outbox/outbox-store.js`);

const ROUTE = 'plant.cloud';
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const store = new OutboxStore(file, { logger: silent });
store.openRoute(ROUTE, { maxRecords: 1e9, maxBytes: 2 ** 40, maxAgeMs: 86_400_000, whenFull: 'drop-oldest' });

const record = (n) => ({ key: 'pump-1', kind: 'telemetry', body: Buffer.from(JSON.stringify({ n })) });
let n = Number(first);
let many = false;

function burst() {
  let out = '';
  if (many) {
    const ids = store.appendMany(ROUTE, Array.from({ length: 100 }, (_, i) => record(n + i)));
    for (const id of ids) out += `${id} ${n++}\n`;
  } else {
    for (let i = 0; i < 100; i++, n++) out += `${store.append(ROUTE, record(n))} ${n}\n`;
  }
  many = !many;
  process.stdout.write(out);
  setImmediate(burst);
}
burst();
