import { ErrorKind, GatewayError } from '@gw/contracts';

/**
 * Entry point of a service process: runs `start` and, when it fails, prints
 * one clear line (a wrong setting names its variable) and exits non-zero,
 * instead of an unhandled rejection with a stack trace.
 */
export function runMain(start: () => Promise<void>): void {
  // then(start): a start that throws before returning its promise is caught too.
  Promise.resolve()
    .then(start)
    .catch((err: unknown) => {
      const taken = addressInUse(err);
      if (taken) {
        // A second instance, or another program on the port: a fact to state, not a crash to trace.
        process.stderr.write(`startup failed: ${taken} is already in use (another instance running?); choose another port with its _PORT variable\n`);
        process.exit(1);
      }
      const config = GatewayError.is(err, ErrorKind.Config);
      const message = err instanceof Error ? err.message : String(err);
      process.stderr.write(`${config ? 'configuration error' : 'startup failed'}: ${message}\n`);
      // A crash (not a setting) needs its stack to be diagnosed.
      if (!config && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
      process.exit(config ? 78 : 1); // 78: EX_CONFIG, so supervisors can tell a bad setting from a crash
    });
}

/** `host:port` when `err` says the address is taken (EADDRINUSE), else undefined. */
function addressInUse(err: unknown): string | undefined {
  const e = err as { code?: unknown; address?: unknown; port?: unknown } | null;
  if (!e || e.code !== 'EADDRINUSE') return undefined;
  return e.port !== undefined ? `${String(e.address ?? '')}:${String(e.port)}` : 'the address';
}
