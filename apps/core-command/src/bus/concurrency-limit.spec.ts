import { ConcurrencyLimit } from './concurrency-limit';

describe('ConcurrencyLimit', () => {
  it('runs at most max tasks, hands a freed slot to the next waiter, and reports idle', async () => {
    const limit = new ConcurrencyLimit(2);
    await limit.acquire();
    await limit.acquire();
    let third = false;
    const waiting = limit.acquire().then(() => (third = true));
    await Promise.resolve();
    expect(third).toBe(false);
    let idle = false;
    const idlePromise = limit.idle().then(() => (idle = true));
    limit.release();
    await waiting;
    expect(limit.inFlight).toBe(2);
    limit.release();
    limit.release();
    await idlePromise;
    expect(idle).toBe(true);
    expect(limit.inFlight).toBe(0);
  });
});
