import { AddressInfo, connect, createServer, Socket } from 'node:net';
import type { MessageEnvelope, MessageHandler } from '@gw/messaging';

export interface Received {
  topic: string;
  envelope: MessageEnvelope;
}

/** Records what a subscription receives and lets a test await it instead of sleeping. */
export class Collector {
  readonly received: Received[] = [];
  private waiters: Array<{ done: () => boolean; resolve: () => void }> = [];

  readonly handler: MessageHandler = (envelope, topic) => {
    this.received.push({ envelope, topic });
    this.waiters = this.waiters.filter((w) => {
      if (!w.done()) return true;
      w.resolve();
      return false;
    });
  };

  payloads<P = unknown>(): P[] {
    return this.received.map((r) => r.envelope.payload as P);
  }

  /** Resolves once `predicate` holds; rejects after `timeoutMs` saying what was awaited. */
  until(predicate: (received: Received[]) => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    const done = () => predicate(this.received);
    if (done()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.done !== done);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (received ${this.received.length})`));
      }, timeoutMs);
      this.waiters.push({
        done,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  count(n: number, timeoutMs?: number): Promise<void> {
    return this.until((r) => r.length >= n, `${n} messages`, timeoutMs);
  }
}

/** For conditions nothing announces (e.g. a subscription re-established after a broker restart). */
export { pollUntil } from '../support/poll';

/** Resolves when `promise` settles, rejecting if it takes longer than `timeoutMs`. */
export async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not settle within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A handler whose calls stay unsettled until the test releases them, to see what a bus hands out meanwhile. */
export class HeldHandler<P extends { i: number } = { i: number }> {
  readonly received: P[] = [];
  private readonly collector = new Collector();
  private readonly releases = new Map<number, () => void>();
  private unsettled = 0;
  private holding = true;
  /** The most calls unsettled at once. */
  maxInHand = 0;

  readonly handler: MessageHandler = (envelope, topic) => {
    const payload = envelope.payload as P;
    this.received.push(payload);
    this.unsettled++;
    this.maxInHand = Math.max(this.maxInHand, this.unsettled);
    const settled = new Promise<void>((resolve) => (this.holding ? this.releases.set(payload.i, resolve) : resolve())).then(() => {
      this.unsettled--;
    });
    void this.collector.handler(envelope, topic);
    return settled;
  };

  /** The `i` of every message received, in order. */
  get seen(): number[] {
    return this.received.map((p) => p.i);
  }

  count(n: number, timeoutMs?: number): Promise<void> {
    return this.collector.count(n, timeoutMs);
  }

  /** Lets the handler call for message `i` (its latest delivery) resolve. */
  release(i: number): void {
    const release = this.releases.get(i);
    if (!release) throw new Error(`message ${i} is not in hand`);
    this.releases.delete(i);
    release();
  }

  releaseAll(): void {
    for (const i of [...this.releases.keys()]) this.release(i);
  }

  /** Releases every call in hand and lets every later one resolve at once. */
  letGo(): void {
    this.holding = false;
    this.releaseAll();
  }
}

/**
 * For asserting that something does NOT happen (a message a bus must hold
 * back): nothing announces it, so give it this long to show up wrongly.
 */
export const quietPeriod = (ms = 300): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A TCP relay to `target` (a broker URL) whose connections the test can cut
 * as a crash of the client's process would end them: what the client has
 * written so far still reaches the broker, then its connections end; the
 * client sees them reset, nothing it writes afterwards gets through, and it
 * cannot come back through the relay.
 */
export interface TcpRelay {
  /** `target` with the relay's host and port. */
  readonly url: string;
  cut(): Promise<void>;
  /** Resets every connection through the relay, as a network fault would, and lets the client connect again. */
  drop(): Promise<void>;
}

export async function tcpRelay(target: string): Promise<TcpRelay> {
  const to = new URL(target);
  const pairs = new Set<{ client: Socket; broker: Socket }>();
  const server = createServer((client) => {
    const broker = connect(Number(to.port), to.hostname);
    const pair = { client, broker };
    pairs.add(pair);
    for (const s of [client, broker]) s.on('error', () => undefined); // the other side's close ends both
    client.pipe(broker);
    broker.pipe(client);
    client.on('close', () => broker.end());
    broker.on('close', () => {
      client.destroy();
      pairs.delete(pair);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  server.unref(); // a relay that is never cut must not keep the test process alive
  const { port } = server.address() as AddressInfo;
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString().replace(/\/$/, ''),
    cut: async () => {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      // What the clients wrote is in the relay's receive buffers (loopback); the
      // event loop's next I/O phase reads it and hands it on to the broker. The
      // first turn may end in the current iteration's check phase, the second
      // comes after the next iteration's I/O phase.
      for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
      const ended = [...pairs].map(
        ({ client, broker }) =>
          new Promise<void>((resolve) => {
            client.unpipe(broker);
            broker.unpipe(client);
            client.resetAndDestroy();
            // FIN after what was written: the broker reads it all, then sees the client gone.
            broker.once('close', () => resolve());
            broker.resume();
            broker.end();
          }),
      );
      await Promise.all([stopped, ...ended]);
    },
    drop: async () => {
      const closed = [...pairs].map(({ client, broker }) => {
        const gone = new Promise<void>((resolve) => broker.once('close', () => resolve()));
        client.resetAndDestroy();
        broker.destroy();
        return gone;
      });
      await Promise.all(closed);
    },
  };
}
