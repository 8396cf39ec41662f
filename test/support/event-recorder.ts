import { MessageEnvelope } from '@gw/messaging';

/** Collects bus messages and lets a test await the n-th one instead of sleeping. */
export class EventRecorder {
  readonly received: Array<{ topic: string; envelope: MessageEnvelope }> = [];
  private waiters: Array<{ count: number; resolve: () => void }> = [];

  readonly handler = (envelope: MessageEnvelope, topic: string): void => {
    this.received.push({ topic, envelope });
    this.waiters = this.waiters.filter((w) => (this.received.length >= w.count ? (w.resolve(), false) : true));
  };

  /** Resolves once `count` messages have arrived in total; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs = 5000): Promise<void> {
    if (this.received.length >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`expected ${count} messages, got ${this.received.length}: ${this.topics().join(', ')}`)),
        timeoutMs,
      );
      this.waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  topics(): string[] {
    return this.received.map((r) => r.topic);
  }

  clear(): void {
    this.received.length = 0;
  }
}
