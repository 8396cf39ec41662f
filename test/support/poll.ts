/**
 * The one polling helper of the tests, for conditions nothing announces (a
 * count reached in a database, a value kept after a reply that has no event
 * of its own): retry `attempt` until it returns true or the deadline passes.
 * Wait on an event instead wherever there is one.
 */
export async function pollUntil(
  attempt: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 15_000,
  intervalMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await attempt()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** pollUntil for a value: resolves with the first one `probe` returns that is not undefined. */
export async function pollFor<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 15_000): Promise<T> {
  let found: T | undefined;
  await pollUntil(async () => (found = await probe()) !== undefined, what, timeoutMs);
  return found as T;
}
