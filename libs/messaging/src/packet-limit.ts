import { ErrorKind, GatewayError } from '@gw/contracts';

/**
 * Refuses a message the broker would not take: sent anyway, it gets the
 * connection dropped (and everything in flight on it with it).
 */
export function refuseOversized(bus: string, topic: string, bytes: number, limit: number, whose: string): void {
  if (bytes <= limit) return;
  throw new GatewayError(
    ErrorKind.PayloadTooLarge,
    `${bus}: the message on "${topic}" is ${bytes} bytes, more than the ${limit} bytes ${whose}; not sent`,
  );
}
