import { ErrorKind, GatewayError } from '../errors';
import { ManualClock } from './clock';
import { withTimeout } from './with-timeout';

describe('withTimeout', () => {
  it('fails with a Timeout naming what did not answer and the time it had', async () => {
    const clock = new ManualClock();
    const result = withTimeout(new Promise(() => undefined), 1_000, 'read from D', { clock }).catch((err: unknown) => err);
    await clock.advance(999);
    expect(clock.pending).toBe(1);
    await clock.advance(1);
    const err = await result;
    expect(GatewayError.is(err, ErrorKind.Timeout)).toBe(true);
    expect((err as Error).message).toBe('read from D: no answer within 1000 ms');
  });

  it('uses the kind the caller gives', async () => {
    const clock = new ManualClock();
    const result = withTimeout(new Promise(() => undefined), 50, 'subscribe "a/#"', { kind: ErrorKind.Communication, clock });
    const failed = expect(result).rejects.toMatchObject({ kind: ErrorKind.Communication, message: 'subscribe "a/#": no answer within 50 ms' });
    await clock.advance(50);
    await failed;
  });

  it('settles as the work does in time, and clears its timer', async () => {
    const clock = new ManualClock();
    await expect(withTimeout(Promise.resolve(7), 50, 'x', { clock })).resolves.toBe(7);
    const refused = new Error('refused');
    await expect(withTimeout(Promise.reject(refused), 50, 'x', { clock })).rejects.toBe(refused);
    expect(clock.pending).toBe(0);
  });

  it('bounds real time with the system clock by default', async () => {
    await expect(withTimeout(new Promise(() => undefined), 5, 'connect')).rejects.toMatchObject({ kind: ErrorKind.Timeout });
  });
});
