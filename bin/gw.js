#!/usr/bin/env node
// `gw`, the gateway's command line (package.json "bin"; `npx gw ...` in the
// checkout). Runs the built CLI in dist/; builds it first when it is missing
// (a fresh checkout before `npm start` or `npm run build`), as `npm run
// modbus-sim` does: only missing outputs, never a rebuild under a running gateway.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const main = path.join(__dirname, '..', 'dist', 'apps', 'cli', 'src', 'main.js');
if (!fs.existsSync(main)) {
  const { status } = require('node:child_process').spawnSync(process.execPath, [path.join(__dirname, 'build-if-changed.js'), '--missing-only'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (status !== 0) process.exit(status ?? 1);
}
require(main);
