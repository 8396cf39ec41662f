#!/usr/bin/env node
// The image's entry point: `node bin/service.js <service>` starts one service of
// the gateway (docker compose runs one container per service from one image).
'use strict';
const path = require('node:path');

const SERVICES = {
  gateway: 'apps/gateway/src/main.js',
  metadata: 'apps/metadata/src/main.js',
  'core-data': 'apps/core-data/src/main.js',
  'core-command': 'apps/core-command/src/main.js',
  'device-service': 'apps/device-service/src/main.js',
  'app-service': 'apps/app-service/src/main.js',
  console: 'apps/console/src/main.js',
  'modbus-sim': 'apps/modbus-sim/src/main.js',
};

const name = process.argv[2] || 'gateway';
const entry = SERVICES[name];
if (!entry) {
  process.stderr.write(`unknown service "${name}": expected one of ${Object.keys(SERVICES).join(', ')}\n`);
  process.exit(64);
}
require(path.join(__dirname, '..', 'dist', entry));
