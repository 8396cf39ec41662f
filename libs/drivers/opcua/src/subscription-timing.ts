/** How a subscription publishes and keeps alive for an autoEvent interval (no node-opcua here). */

/**
 * A subscription's timing for an autoEvent interval: it publishes at the
 * interval, but at least 4 times per session timeout, and keeps alive
 * (GW_OPCUA_MAX_KEEP_ALIVE_COUNT publishes without data) within 80 % of the
 * session timeout, so a slow autoEvent (10 s, 1 h) never lets the server drop
 * the session; the lifetime is at least 3 keep-alives.
 */
export function subscriptionTiming(
  intervalMs: number,
  sessionTimeoutMs: number,
  options: { maxKeepAliveCount: number; lifetimeCount: number },
): { publishingInterval: number; maxKeepAliveCount: number; lifetimeCount: number } {
  const publishingInterval = Math.max(1, Math.min(intervalMs, Math.floor(sessionTimeoutMs / 4)));
  const maxKeepAliveCount = Math.max(1, Math.min(options.maxKeepAliveCount, Math.floor((sessionTimeoutMs * 0.8) / publishingInterval)));
  return { publishingInterval, maxKeepAliveCount, lifetimeCount: Math.max(options.lifetimeCount, 3 * maxKeepAliveCount) };
}
