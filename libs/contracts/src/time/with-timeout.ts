import { ErrorKind, GatewayError } from '../errors';
import { Clock, systemClock } from './clock';

export interface TimeoutOptions {
  /** The kind of the error when time runs out (default Timeout; Communication where silence means the peer is gone). */
  kind?: ErrorKind;
  /** The clock whose timer bounds the wait (default the system clock). */
  clock?: Clock;
}

/**
 * Settles as `work` does, or rejects with a GatewayError "`what`: no answer
 * within `timeoutMs` ms" if it has not settled by then. The timer is cleared
 * either way; `work` itself is not cancelled (the caller stops it if it can).
 */
export function withTimeout<T>(work: Promise<T>, timeoutMs: number, what: string, options: TimeoutOptions = {}): Promise<T> {
  const { kind = ErrorKind.Timeout, clock = systemClock } = options;
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimer(() => reject(new GatewayError(kind, `${what}: no answer within ${timeoutMs} ms`)), timeoutMs);
    work.then(
      (value) => {
        timer.cancel();
        resolve(value);
      },
      (err: unknown) => {
        timer.cancel();
        reject(err);
      },
    );
  });
}
