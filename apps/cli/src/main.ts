/**
 * `gw`, the gateway's command line (bin/gw.js runs this file). It loads
 * commander, @gw/contracts, @gw/clients and the light config entry of
 * service-kit only: no Nest, TypeORM or drivers, so a command answers in a
 * fraction of a second (bench/cli-start.ts).
 */
import { runCli } from './cli';

void runCli(process.argv).then((code) => {
  process.exitCode = code;
});
