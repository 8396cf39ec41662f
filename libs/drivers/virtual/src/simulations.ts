/**
 * What a simulated resource returns on each read. A Cursor is the per-device
 * memory of a sequence (two devices of one profile count independently).
 */
import { RawValue } from '@gw/device-sdk/driver';
import { ValueMaker } from './random-values';
import { RandomSource } from './seeded-random';

export interface Cursor {
  index: number;
  offset: bigint;
}

export const newCursor = (): Cursor => ({ index: 0, offset: 0n });

export interface Simulation {
  next(cursor: Cursor, random: RandomSource): RawValue;
}

export class RandomSimulation implements Simulation {
  constructor(private readonly maker: ValueMaker) {}

  next(_cursor: Cursor, random: RandomSource): RawValue {
    return this.maker.next(random);
  }
}

export class ConstantSimulation implements Simulation {
  constructor(private readonly value: RawValue) {}

  next(): RawValue {
    return this.value;
  }
}

/** values[0], values[1], ..., then values[0] again. */
export class CycleSimulation implements Simulation {
  constructor(private readonly values: readonly RawValue[]) {}

  next(cursor: Cursor): RawValue {
    if (cursor.index >= this.values.length) cursor.index = 0;
    return this.values[cursor.index++];
  }
}

/** false, true, false, ... */
export class ToggleSimulation implements Simulation {
  next(cursor: Cursor): boolean {
    cursor.index = cursor.index === 1 ? 0 : 1;
    return cursor.index === 0;
  }
}

/**
 * start, start + step, ... back to start once the next value would leave
 * lo..hi. Computed as start + n * step (not by adding up), so a float step
 * such as 0.1 does not drift.
 */
export class CountSimulation implements Simulation {
  constructor(
    private readonly start: number,
    private readonly step: number,
    private readonly lo: number,
    private readonly hi: number,
    private readonly f32: boolean,
  ) {}

  next(cursor: Cursor): number {
    let v = this.start + cursor.index * this.step;
    if (v > this.hi || v < this.lo) {
      cursor.index = 0;
      v = this.start;
    }
    cursor.index++;
    return this.f32 ? Math.fround(v) : v;
  }
}

/** The same for Int64/Uint64, in bigint. */
export class WideCountSimulation implements Simulation {
  constructor(
    private readonly start: bigint,
    private readonly step: bigint,
    private readonly lo: bigint,
    private readonly hi: bigint,
  ) {}

  next(cursor: Cursor): bigint {
    let v = this.start + cursor.offset;
    if (v > this.hi || v < this.lo) {
      cursor.offset = 0n;
      v = this.start;
    }
    cursor.offset += this.step;
    return v;
  }
}
