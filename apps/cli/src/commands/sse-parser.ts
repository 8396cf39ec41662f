/** The largest server-sent event kept; a longer one is skipped (a stream that never ends an event must not fill memory). */
export const MAX_EVENT_TEXT = 1024 * 1024;

/**
 * Server-sent events from chunks of text: each event's `data:` lines joined.
 * Lines may end with LF, CRLF or CR (as the SSE format allows), also split
 * across chunks; an event longer than `maxEvent` characters is dropped and
 * counted in `oversized`.
 */
export class SseParser {
  private buffered = '';
  private pendingCr = false;
  private discarding = false;
  oversized = 0;

  constructor(private readonly maxEvent = MAX_EVENT_TEXT) {}

  /** The data of every event completed by `chunk`. */
  push(chunk: string): string[] {
    let text = (this.pendingCr ? '\r' : '') + chunk;
    this.pendingCr = text.endsWith('\r');
    if (this.pendingCr) text = text.slice(0, -1);
    this.buffered += text.replace(/\r\n?/g, '\n');
    const events: string[] = [];
    let end: number;
    while ((end = this.buffered.indexOf('\n\n')) >= 0) {
      const message = this.buffered.slice(0, end);
      this.buffered = this.buffered.slice(end + 2);
      if (this.discarding) {
        this.discarding = false;
        continue;
      }
      const data = message
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).replace(/^ /, ''))
        .join('\n');
      if (data) events.push(data);
    }
    if (this.buffered.length > this.maxEvent) {
      if (!this.discarding) this.oversized++;
      this.discarding = true;
      // Keep a trailing '\n': it may be the first half of the blank line ending the event.
      this.buffered = this.buffered.endsWith('\n') ? '\n' : '';
    }
    return events;
  }
}
