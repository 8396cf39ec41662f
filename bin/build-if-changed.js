#!/usr/bin/env node
'use strict';
/**
 * The build of `npm start` and `npm run modbus-sim`: compiles only the
 * sources under apps/ and libs/ whose dist/ output is missing or older, with
 * swc (no type-checking: `npm test` and `npm run build` run tsc). On an
 * unchanged tree it only compares file times (a few ms) and writes nothing,
 * so it never rewrites dist/ under a running gateway; a changed file is
 * written next to its target and renamed over it, never seen half-written.
 * A changed tsconfig.json (aliases) rebuilds everything. Outputs whose source
 * is gone are deleted: a file moved into a folder of the same name
 * (config.ts -> config/index.ts) would otherwise be shadowed by its old
 * config.js. `--prune-only` does only that (before `npm run build`'s tsc).
 * `--missing-only` compiles only outputs that do not exist and deletes
 * nothing: `npm run modbus-sim` runs beside a gateway and must not change the
 * files it runs from.
 * The web console's single-page app is built too when its sources changed
 * (bin/build-console.js, Vite into dist/console).
 * GW_BUILD_ROOT points it at another tree (its tests).
 */
const fs = require('node:fs');
const path = require('node:path');
const { buildConsole } = require('./build-console');

const root = path.resolve(process.env.GW_BUILD_ROOT || path.join(__dirname, '..'));
const SOURCE_DIRS = ['apps', 'libs'];
const TEST_FILE = /\.(spec|test)\.ts$|\.d\.ts$/;

function sources() {
  const found = [];
  for (const dir of SOURCE_DIRS) {
    for (const entry of fs.readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true })) {
      if (entry.isFile() && entry.name.endsWith('.ts') && !TEST_FILE.test(entry.name)) found.push(path.join(entry.parentPath, entry.name));
    }
  }
  return found;
}

const mtime = (file) => {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return -1;
  }
};

const outputOf = (source) => path.join(root, 'dist', path.relative(root, source)).replace(/\.ts$/, '.js');

function stale(missingOnly) {
  const all = sources();
  if (missingOnly) return all.filter((source) => mtime(outputOf(source)) < 0);
  const configChanged = mtime(path.join(root, 'tsconfig.json'));
  return all.filter((source) => {
    const built = mtime(outputOf(source));
    return built < 0 || built < mtime(source) || built < configChanged;
  });
}

/** Deletes dist/ outputs under the source folders whose .ts source no longer exists. */
function pruneOrphans() {
  const removed = [];
  for (const dir of SOURCE_DIRS) {
    const out = path.join(root, 'dist', dir);
    if (!fs.existsSync(out)) continue;
    for (const entry of fs.readdirSync(out, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !/\.js(\.map)?$/.test(entry.name)) continue;
      const built = path.join(entry.parentPath, entry.name);
      const source = path.join(root, path.relative(path.join(root, 'dist'), built)).replace(/\.js(\.map)?$/, '.ts');
      if (!fs.existsSync(source)) {
        fs.rmSync(built);
        removed.push(built);
      }
    }
  }
  return removed;
}

async function compile(files) {
  const swc = require('@swc/core');
  const options = require('./swc-options').swcOptions({ paths: true, root });
  await Promise.all(
    files.map(async (source) => {
      let code;
      try {
        ({ code } = await swc.transformFile(source, { ...options, filename: source, sourceMaps: false }));
      } catch (err) {
        throw new Error(`${path.relative(root, source)}: ${err.message ?? err}`);
      }
      const target = outputOf(source);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      const temporary = `${target}.${process.pid}.tmp`;
      fs.writeFileSync(temporary, code);
      fs.renameSync(temporary, target);
    }),
  );
}

async function main() {
  const started = Date.now();
  const missingOnly = process.argv.includes('--missing-only');
  const pruned = missingOnly ? [] : pruneOrphans();
  if (pruned.length) process.stderr.write(`build: removed ${pruned.length} output(s) whose source is gone\n`);
  if (process.argv.includes('--prune-only')) return;
  const files = stale(missingOnly);
  if (files.length) {
    await compile(files);
    process.stderr.write(`build: compiled ${files.length} changed file(s) in ${Date.now() - started} ms (type-check: npm test)\n`);
  }
  // The web console (apps/console/web) when its sources changed: bin/build-console.js.
  await buildConsole(root, { missingOnly });
}

main().catch((err) => {
  process.stderr.write(`build failed: ${err.message}\n`);
  process.exit(1);
});
