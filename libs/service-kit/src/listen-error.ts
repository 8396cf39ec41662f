import { ErrorKind, GatewayError } from '@gw/contracts';

/** A port taken or not allowed is a setting to change (exit 78, naming host:port), not a crash. Light: no framework loaded (the console's plain node:http server uses it too). */
export function listenError(err: unknown, host: string, port: number): unknown {
  const code = (err as { code?: string }).code;
  if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
    return new GatewayError(ErrorKind.Config, `cannot listen on ${host}:${port}: ${code}`, { cause: err });
  }
  return err;
}
