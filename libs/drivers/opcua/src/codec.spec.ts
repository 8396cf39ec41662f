import { DataType, setWarningLogger, VariantArrayType } from 'node-opcua-client';
import { coerceInput, coerceElement } from './codec';

setWarningLogger(() => undefined); // node-opcua's notes on loading (PKCS#1 check) would land after the tests

const what = () => 'inputMap[0]';

describe('coerceInput', () => {
  it('keeps 64-bit integers of an array exact past 2^53, written as a JSON list or with quotes', () => {
    const exact = (items: bigint[], t: DataType) => items.map((n) => coerceElement(n, t, what));
    expect(coerceInput('[9007199254740993, -2]', DataType.Int64, true, what)).toEqual({
      dataType: DataType.Int64,
      arrayType: VariantArrayType.Array,
      value: exact([9007199254740993n, -2n], DataType.Int64),
    });
    expect(coerceInput('["18446744073709551615", 1]', DataType.UInt64, true, what).value).toEqual(exact([18446744073709551615n, 1n], DataType.UInt64));
    expect(coerceInput('9007199254740993, 5', DataType.Int64, true, what).value).toEqual(exact([9007199254740993n, 5n], DataType.Int64));
    expect(coerceInput('[]', DataType.Int64, true, what).value).toEqual([]);
  });

  it('refuses an item that is not a whole number, naming it', () => {
    expect(() => coerceInput('[1, 2.5]', DataType.Int64, true, what)).toThrow(/inputMap\[0\] item 1: "2.5" is not a whole number/);
  });

  it('other arrays as before: JSON lists, else comma-separated', () => {
    expect(coerceInput('[1, 2]', DataType.Int32, true, what).value).toEqual(new Int32Array([1, 2]));
    expect(coerceInput('a, b', DataType.String, true, what).value).toEqual(['a', 'b']);
  });
});
