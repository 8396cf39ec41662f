import type { AsyncValues } from '@gw/device-sdk/driver';
import { DataType, DataValue, setWarningLogger, StatusCodes, Variant, VariantArrayType } from 'node-opcua-client';
import { SourceCoalescer } from './coalescer';
import type { MonitorSpec } from './monitor';

setWarningLogger(() => undefined); // node-opcua's notes on loading (PKCS#1 check) would land after the tests

const silent = { debug: () => undefined, info: () => undefined, warn: jest.fn(), error: () => undefined };
const RESOURCES = ['Speed', 'Temp'] as const;
const spec = (resourceName: string, sourceResources: readonly string[] = RESOURCES): MonitorSpec => ({
  deviceName: 'press',
  sourceName: sourceResources.length === 1 ? resourceName : 'Both',
  resourceName,
  valueType: 'Float64',
  node: { text: `ns=2;s=${resourceName}` },
  samplingMs: 100,
  onChange: false,
  sourceResources,
});
const speed = spec('Speed', ['Speed']);
const STAMP = new Date('2026-01-01T00:00:00Z');
const dv = (value: number | string, at = STAMP, statusCode = StatusCodes.Good) =>
  new DataValue({ value: new Variant({ dataType: typeof value === 'string' ? DataType.String : DataType.Double, value }), sourceTimestamp: at, statusCode });
const turn = () => new Promise((r) => setImmediate(r));

describe('SourceCoalescer', () => {
  let pushed: AsyncValues[];
  let c: SourceCoalescer;
  const values = () => pushed.map((p) => p.values.map((v) => `${v.resourceName}=${String(v.value)}`).join(','));
  beforeEach(() => {
    pushed = [];
    silent.warn.mockClear();
    c = new SourceCoalescer((v) => pushed.push(v), silent);
  });

  it('keeps every change of a server whose source timestamp never moves (coarse or constant clock)', async () => {
    for (const v of [1, 2, 1, 3]) {
      c.offer(speed, dv(v), false);
      await turn();
    }
    expect(values()).toEqual(['Speed=1', 'Speed=2', 'Speed=1', 'Speed=3']);
    expect(c.stats.duplicates).toBe(0);
  });

  it("drops a recreated item's initial value when it repeats the last notification exactly, and only that", async () => {
    c.offer(speed, dv(7), true);
    await turn();
    c.offer(speed, dv(7), true); // item recreated after a reconnect: same stamp, status and value
    await turn();
    c.offer(speed, dv(8), true); // recreated again, the value changed meanwhile (same coarse stamp)
    await turn();
    c.offer(speed, dv(8, new Date(STAMP.getTime() + 1)), true); // changed stamp: a new sample
    await turn();
    c.offer(speed, dv(8, new Date(STAMP.getTime() + 1)), false); // not a recreated item: the server reported it, keep it
    await turn();
    expect(values()).toEqual(['Speed=7', 'Speed=8', 'Speed=8', 'Speed=8']);
    expect(c.stats.duplicates).toBe(1);
  });

  it('one push per source and turn, carrying every resource; waits until each has a value', async () => {
    c.offer(spec('Speed'), dv(1), true);
    await turn();
    expect(pushed).toEqual([]);
    c.offer(spec('Temp'), dv(20), true);
    c.offer(spec('Speed'), dv(2, new Date(STAMP.getTime() + 5)), false);
    await turn();
    expect(values()).toEqual(['Speed=2,Temp=20']);
    expect(pushed[0]).toMatchObject({ deviceName: 'press', sourceName: 'Both' });
    expect(pushed[0].values[0].origin).toBe((STAMP.getTime() + 5) * 1e6);
  });

  it('a Bad notification removes the value instead of repeating the old one as current; good again, it is back', async () => {
    c.offer(spec('Speed'), dv(1), true);
    c.offer(spec('Temp'), dv(20), true);
    await turn();
    c.offer(spec('Temp'), dv(0, new Date(STAMP.getTime() + 1), StatusCodes.BadSensorFailure), false);
    await turn();
    c.offer(spec('Speed'), dv(2, new Date(STAMP.getTime() + 2)), false);
    await turn();
    c.offer(speed, dv(0, STAMP, StatusCodes.BadSensorFailure), false); // a source of one bad resource: nothing to push
    await turn();
    c.offer(spec('Temp'), dv(21, new Date(STAMP.getTime() + 3)), false);
    await turn();
    expect(values()).toEqual(['Speed=1,Temp=20', 'Speed=2', 'Speed=2,Temp=21']);
    expect(c.stats.bad).toBe(2);
  });

  it('a source with an item the server refused publishes without it', async () => {
    c.unavailable(spec('Temp'));
    c.offer(spec('Speed'), dv(1), true);
    await turn();
    expect(values()).toEqual(['Speed=1']);
    expect(c.stats.unavailable).toBe(1);
  });

  it('counts values that cannot be decoded and warns once per interval, not once per notification', async () => {
    // An Int64 whose value is not a whole number (a server-side encoding fault) cannot become a bigint.
    const broken = (i: number) => {
      const value = dv(0, new Date(STAMP.getTime() + i));
      value.value = new Variant({ dataType: DataType.Int64, arrayType: VariantArrayType.Scalar, value: [0, 1] });
      value.value.value = 1.5;
      return value;
    };
    for (let i = 0; i < 5; i++) {
      c.offer({ ...speed, valueType: 'Int64' }, broken(i), false);
      await turn();
    }
    expect(pushed).toEqual([]);
    expect(c.stats.decodeFailures).toBe(5);
    expect(silent.warn).toHaveBeenCalledTimes(1);
  });

  it('forgets a removed device: its next value is not taken for a repeat', async () => {
    c.offer(speed, dv(7), true);
    await turn();
    c.forget('press');
    c.offer(speed, dv(7), true);
    await turn();
    expect(values()).toEqual(['Speed=7', 'Speed=7']);
  });
});
