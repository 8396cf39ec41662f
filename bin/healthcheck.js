#!/usr/bin/env node
// Container healthcheck: `node bin/healthcheck.js <port>` exits 0 when the
// service answers GET /api/v3/ping (the one route open without the API key).
'use strict';
const port = process.argv[2];
fetch(`http://127.0.0.1:${port}/api/v3/ping`, { signal: AbortSignal.timeout(4000) }).then(
  (response) => process.exit(response.ok ? 0 : 1),
  () => process.exit(1),
);
