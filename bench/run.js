#!/usr/bin/env node
/**
 * `npm run bench [name...]`: builds once with the repo's own build
 * (tsc -p tsconfig.build.json, then tsc-alias for the @gw/* paths), then runs
 * dist/bench/<name>.js for every bench/*.ts, or only the names given.
 * Each bench prints `name: value unit` lines, its last line a summary figure.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const requested = process.argv.slice(2).map((n) => n.replace(/\.ts$/, ''));
const available = fs
  .readdirSync(__dirname)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
  .map((f) => f.slice(0, -3))
  .sort();
const unknown = requested.filter((n) => !available.includes(n));
if (unknown.length) {
  console.error(`bench: no such benchmark: ${unknown.join(', ')} (available: ${available.join(', ')})`);
  process.exit(2);
}
const benches = requested.length ? requested : available;

function run(args) {
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (result.error) throw result.error;
  return result.status === 0;
}

// tsc still emits when another part of the tree has type errors; a bench whose
// own output exists can run, and the errors above tell whose work is unfinished.
if (!run([require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'])) {
  console.error('bench: tsc reported errors (above); running the benches it emitted anyway');
}
if (!run([require.resolve('tsc-alias/dist/bin/index.js'), '-p', 'tsconfig.build.json'])) {
  console.error('bench: tsc-alias failed');
  process.exit(1);
}

let failed = 0;
for (const name of benches) {
  const file = path.join(root, 'dist', 'bench', `${name}.js`);
  console.log(`\n=== bench/${name}.ts`);
  if (!fs.existsSync(file)) {
    console.error(`bench: ${path.relative(root, file)} was not built`);
    failed++;
    continue;
  }
  if (!run([file])) failed++;
}
process.exit(failed ? 1 : 0);
