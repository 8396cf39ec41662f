#!/usr/bin/env node
// Container healthcheck: `node bin/healthcheck.js <port>` exits 0 when the
// service answers GET /api/v3/ready with 200 (open without the API key, like
// ping). A service still waiting for its broker or database answers ping but
// not ready, so `depends_on: condition: service_healthy` waits until it really
// serves. What /ready names as missing is printed (docker inspect shows it).
'use strict';
const port = process.argv[2];
fetch(`http://127.0.0.1:${port}/api/v3/ready`, { signal: AbortSignal.timeout(4000) }).then(
  async (response) => {
    if (!response.ok) process.stdout.write(`${response.status} ${(await response.text().catch(() => '')).slice(0, 500)}\n`);
    process.exit(response.ok ? 0 : 1);
  },
  (err) => {
    process.stdout.write(`${err.message}\n`);
    process.exit(1);
  },
);
