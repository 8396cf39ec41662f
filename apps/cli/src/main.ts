/**
 * `gw`, the gateway's command line (bin/gw.js runs this file). It loads
 * commander, @gw/contracts, @gw/clients and the light config entry of
 * service-kit only: no Nest, TypeORM or drivers, so a command answers in a
 * fraction of a second (bench/cli-start.ts).
 */
import { runCli } from './cli';
import { watchStdout } from './stdout';

// `gw readings tail | head -3`: the reader has gone, which ends a tail (exit 0, no stack trace); a refusal is still exit 1.
watchStdout();

void runCli(process.argv).then((code) => {
  process.exitCode = code;
});
