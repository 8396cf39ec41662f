/**
 * Random value makers, one small object per resource built when the device
 * is added, so a read only draws numbers: no parsing, no per-read closures,
 * and allocations limited to the value itself.
 */
import { RawValue } from '@gw/device-sdk/driver';
import { RandomSource } from './seeded-random';

export interface ValueMaker {
  next(random: RandomSource): RawValue;
}

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 2 ** 53;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export class RandomBool implements ValueMaker {
  next(random: RandomSource): boolean {
    return random() < 0.5;
  }
}

/** Integers up to 32 bits, uniform over lo..hi. */
export class RandomInteger implements ValueMaker {
  private readonly lo: number;
  private readonly span: number;

  constructor(bounds: { lo: bigint; hi: bigint }) {
    this.lo = Number(bounds.lo);
    this.span = Number(bounds.hi - bounds.lo) + 1;
  }

  next(random: RandomSource): number {
    return this.lo + Math.floor(random() * this.span);
  }
}

/** Int64/Uint64 as bigint; spans beyond 2^53 take 64 random bits (the modulo bias is irrelevant here). */
export class RandomWideInteger implements ValueMaker {
  private readonly span: bigint;
  private readonly smallSpan: number;

  constructor(private readonly bounds: { lo: bigint; hi: bigint }) {
    this.span = bounds.hi - bounds.lo + 1n;
    this.smallSpan = this.span <= BigInt(TWO_POW_53) ? Number(this.span) : 0;
  }

  next(random: RandomSource): bigint {
    if (this.smallSpan > 0) return this.bounds.lo + BigInt(Math.floor(random() * this.smallSpan));
    const bits = (BigInt(Math.floor(random() * TWO_POW_32)) << 32n) | BigInt(Math.floor(random() * TWO_POW_32));
    return this.bounds.lo + (bits % this.span);
  }
}

export class RandomFloat implements ValueMaker {
  constructor(private readonly bounds: { lo: number; hi: number; f32: boolean }) {}

  next(random: RandomSource): number {
    const r = random();
    // lo*(1-r) + hi*r: no overflow for the full Float64 range, where hi - lo is Infinity.
    const v = this.bounds.lo * (1 - r) + this.bounds.hi * r;
    return this.bounds.f32 ? Math.fround(v) : v;
  }
}

export class RandomText implements ValueMaker {
  constructor(private readonly length: number) {}

  next(random: RandomSource): string {
    let text = '';
    for (let i = 0; i < this.length; i++) text += ALPHABET[Math.floor(random() * ALPHABET.length)];
    return text;
  }
}

export class RandomBytes implements ValueMaker {
  constructor(private readonly length: number) {}

  next(random: RandomSource): Uint8Array {
    const bytes = new Uint8Array(this.length);
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
    return bytes;
  }
}

/** `{ value: <number> }`: the simplest object a dashboard can plot. */
export class RandomObject implements ValueMaker {
  private readonly number: RandomFloat;

  constructor(bounds: { lo: number; hi: number }) {
    this.number = new RandomFloat({ ...bounds, f32: false });
  }

  next(random: RandomSource): Record<string, unknown> {
    return { value: this.number.next(random) };
  }
}

export class RandomList implements ValueMaker {
  constructor(
    private readonly item: ValueMaker,
    private readonly length: number,
  ) {}

  next(random: RandomSource): unknown[] {
    const items = new Array<unknown>(this.length);
    for (let i = 0; i < this.length; i++) items[i] = this.item.next(random);
    return items;
  }
}
