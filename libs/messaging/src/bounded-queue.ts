/**
 * A FIFO ring buffer with a hard bound that drops the oldest entry when full.
 * Dropping the oldest keeps a consumer that comes back after a long absence
 * on the freshest data, and memory stays predictable on a small gateway.
 */
export class BoundedQueue<T> {
  private items: Array<T | undefined>;
  private head = 0;
  private size = 0;

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`queue limit must be a positive integer, got ${limit}`);
    this.items = new Array<T | undefined>(Math.min(limit, 1024));
  }

  get length(): number {
    return this.size;
  }

  /** Appends; reports whether the oldest entry had to go to make room. */
  push(item: T): { dropped: boolean } {
    let dropped = false;
    if (this.size === this.limit) {
      this.shift();
      dropped = true;
    } else if (this.size === this.items.length) {
      this.grow();
    }
    this.items[(this.head + this.size) % this.items.length] = item;
    this.size++;
    return { dropped };
  }

  /**
   * Puts an entry back in front (a message handed out and taken back). It is
   * the oldest, so a full queue drops it instead.
   */
  unshift(item: T): { dropped: boolean } {
    if (this.size === this.limit) return { dropped: true };
    if (this.size === this.items.length) this.grow();
    this.head = (this.head - 1 + this.items.length) % this.items.length;
    this.items[this.head] = item;
    this.size++;
    return { dropped: false };
  }

  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.size--;
    return item;
  }

  clear(): void {
    this.items = new Array<T | undefined>(Math.min(this.limit, 1024));
    this.head = 0;
    this.size = 0;
  }

  // Grows lazily so that a 100k bound costs nothing until it is used.
  private grow(): void {
    const next = new Array<T | undefined>(Math.min(this.limit, this.items.length * 2));
    for (let i = 0; i < this.size; i++) next[i] = this.items[(this.head + i) % this.items.length];
    this.items = next;
    this.head = 0;
  }
}
