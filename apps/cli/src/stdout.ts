/**
 * stdout of `gw`: when its reader goes away (`gw readings tail | head -3`)
 * later writes are dropped and whoever waits on it is told (readings tail
 * ends); the command's own exit code stands (a refusal is still exit 1).
 */
let gone = false;
const listeners = new Set<() => void>();

/** Calls `listener` once stdout is gone; returns the unsubscribe. */
export function onStdoutGone(listener: () => void): () => void {
  if (gone) {
    listener();
    return () => undefined;
  }
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function writeStdout(text: string): void {
  if (!gone) process.stdout.write(text);
}

/** Installed once by main.ts: EPIPE marks stdout gone; other stdout errors are thrown. */
export function watchStdout(stream: NodeJS.WriteStream = process.stdout): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    if (gone) return;
    gone = true;
    for (const listener of listeners) listener();
    listeners.clear();
  });
}
