#!/usr/bin/env node
'use strict';
/**
 * Builds the web console (apps/console/web, Preact with Vite) into
 * dist/console when its sources are newer than the last build, or when it
 * was never built. Run by bin/build-if-changed.js (so the first `npm start`
 * serves a working console) and by `npm run build` (the image). Nothing is
 * written on an unchanged tree. `--missing-only` builds only when there is no
 * build at all. Without Vite (installed with --omit=dev) it says so and
 * leaves the console unbuilt instead of failing the start.
 * GW_BUILD_ROOT points it at another tree (build-if-changed's tests).
 */
const fs = require('node:fs');
const path = require('node:path');

/** Written after a complete build: its time is the build's. */
const STAMP = '.built';

function newestSource(dir) {
  let newest = -1;
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) newest = Math.max(newest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** package-lock.json's time: an upgraded Preact or Vite builds the bundle again. */
function lockTime(root) {
  try {
    return fs.statSync(path.join(root, 'package-lock.json')).mtimeMs;
  } catch {
    return -1;
  }
}

/** Builds when needed; resolves to what it did: 'built', 'fresh', 'absent' (no console sources) or 'no-vite'. */
async function buildConsole(root, { missingOnly = false, log = (line) => process.stderr.write(line + '\n') } = {}) {
  const web = path.join(root, 'apps', 'console', 'web');
  if (!fs.existsSync(path.join(web, 'vite.config.mjs'))) return 'absent';
  const stamp = path.join(root, 'dist', 'console', STAMP);
  let built = -1;
  try {
    built = fs.statSync(stamp).mtimeMs;
  } catch {
    // never built
  }
  if (built >= 0 && (missingOnly || built >= Math.max(newestSource(web), lockTime(root)))) return 'fresh';
  let vite;
  try {
    vite = await import(require.resolve('vite', { paths: [root] }));
  } catch {
    log('build: the web console is not built: Vite is missing (install the dev dependencies: npm install)');
    return 'no-vite';
  }
  const started = Date.now();
  await vite.build({ configFile: path.join(web, 'vite.config.mjs'), logLevel: 'warn' });
  fs.writeFileSync(stamp, '');
  log(`build: web console built in ${Date.now() - started} ms`);
  return 'built';
}

module.exports = { buildConsole };

if (require.main === module) {
  const root = path.resolve(process.env.GW_BUILD_ROOT || path.join(__dirname, '..'));
  buildConsole(root, { missingOnly: process.argv.includes('--missing-only') }).catch((err) => {
    process.stderr.write(`build of the web console failed: ${err.message}\n`);
    process.exit(1);
  });
}
