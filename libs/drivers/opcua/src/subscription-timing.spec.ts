import { subscriptionTiming } from './subscription-timing';

describe('subscriptionTiming', () => {
  const settings = { maxKeepAliveCount: 10, lifetimeCount: 60 };

  it('publishes at the autoEvent interval with the configured keep-alive when the session allows it', () => {
    expect(subscriptionTiming(1000, 60_000, settings)).toEqual({ publishingInterval: 1000, maxKeepAliveCount: 10, lifetimeCount: 60 });
  });

  it('keeps a slow autoEvent within the session timeout (node-opcua refuses keep-alives past it: W09)', () => {
    // 10 s x 10 would be 100 s of silence against a 60 s session.
    expect(subscriptionTiming(10_000, 60_000, settings)).toEqual({ publishingInterval: 10_000, maxKeepAliveCount: 4, lifetimeCount: 60 });
    // An hourly autoEvent still publishes (keep-alives) 4 times per session timeout.
    const hourly = subscriptionTiming(3_600_000, 60_000, settings);
    expect(hourly.publishingInterval).toBe(15_000);
    expect(hourly.publishingInterval * hourly.maxKeepAliveCount).toBeLessThanOrEqual(48_000);
    expect(hourly.lifetimeCount).toBeGreaterThanOrEqual(3 * hourly.maxKeepAliveCount);
  });
});
