import { edgexName, edgexReadWrite, edgexValueType } from './value-types';

describe('OPC UA variables as EdgeX resource properties', () => {
  it.each([
    [1, -1, 'Bool'],
    [3, -1, 'Uint8'],
    [9, -1, 'Uint64'],
    [10, 1, 'Float32Array'],
    [11, -1, 'Float64'],
    [12, 0, 'StringArray'],
    [13, -1, 'String'],
    [15, -1, 'Binary'],
    [8, -3, 'Int64'],
  ])('DataType %i with ValueRank %i is %s', (builtin, rank, valueType) => {
    expect(edgexValueType(builtin, rank)).toEqual({ ok: true, value: valueType });
  });

  it('says why a variable has no valueType', () => {
    expect(edgexValueType(undefined, -1)).toEqual({ ok: false, reason: 'a structure or abstract DataType has no EdgeX valueType' });
    expect(edgexValueType(22, -1)).toEqual({ ok: false, reason: 'ExtensionObject has no EdgeX valueType' });
    expect(edgexValueType(15, 1)).toEqual({ ok: false, reason: 'ByteString arrays have no EdgeX valueType' });
    expect(edgexValueType(11, 2)).toEqual({ ok: false, reason: '2-dimensional Double arrays have no EdgeX valueType' });
  });

  it('reads readWrite from the AccessLevel bits', () => {
    expect(edgexReadWrite(3)).toEqual({ ok: true, value: 'RW' });
    expect(edgexReadWrite(1 | 4)).toEqual({ ok: true, value: 'R' });
    expect(edgexReadWrite(2)).toEqual({ ok: true, value: 'W' });
    expect(edgexReadWrite(0).ok).toBe(false);
  });

  it('makes names EdgeX accepts', () => {
    expect(edgexName('Motor Speed/RPM')).toBe('Motor_Speed_RPM');
    expect(edgexName('')).toBe('_');
  });
});
