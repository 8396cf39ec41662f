/**
 * `gw`, the gateway's command line (bin/gw.js runs this file). It loads
 * commander, @gw/contracts, @gw/clients and the light config entry of
 * service-kit only: no Nest, TypeORM or drivers, so a command answers in a
 * fraction of a second (bench/cli-start.ts).
 */
import { runCli } from './cli';

// `gw readings tail | head -3`: the reader has gone, which ends the command (no stack trace).
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

void runCli(process.argv).then((code) => {
  process.exitCode = code;
});
