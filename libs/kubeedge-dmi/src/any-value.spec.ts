import * as protobuf from 'protobufjs';
import { decodeAny, decodeConfigData, encodeAny } from './any-value';

// protobufjs's own google.protobuf wrappers: the bytes Go's anypb/wrapperspb write (edgecore's dtcommon.dataToAny).
const wrappers = protobuf.Root.fromJSON(protobuf.common.get('google/protobuf/wrappers.proto')!);
const any = (type: string, value: unknown) => {
  const message = wrappers.lookupType(`google.protobuf.${type}`);
  return { type_url: `type.googleapis.com/google.protobuf.${type}`, value: message.encode(message.create({ value })).finish() };
};
const decoded = (type: string, encoded: { value: Uint8Array }) => {
  const message = wrappers.lookupType(`google.protobuf.${type}`);
  return (message.toObject(message.decode(encoded.value), { longs: Number, defaults: true }) as { value: unknown }).value;
};

describe('configData values (google.protobuf wrappers in Any)', () => {
  it.each([
    ['StringValue', 'tcp://10.0.0.7:502', 'tcp://10.0.0.7:502'],
    ['StringValue', '', ''],
    ['Int32Value', 502, 502],
    ['Int32Value', -7, -7],
    ['Int64Value', 2 ** 40, 2 ** 40],
    ['Int64Value', -(2 ** 40), -(2 ** 40)],
    ['UInt32Value', 4_000_000_000, 4_000_000_000],
    ['FloatValue', 0.1, 0.1],
    ['FloatValue', -21.5, -21.5],
    ['DoubleValue', 0.1, 0.1],
    ['BoolValue', true, true],
    ['BoolValue', false, false],
  ])('reads %s %p as edgecore writes it', (type, value, expected) => {
    expect(decodeAny(any(type, value))).toBe(expected);
  });

  it('writes values protobuf reads back: text, integers, other numbers, booleans', () => {
    expect(decoded('StringValue', encodeAny('slave-1'))).toBe('slave-1');
    expect(decoded('Int64Value', encodeAny(-3))).toBe(-3);
    expect(decoded('Int64Value', encodeAny(0))).toBe(0);
    expect(decoded('DoubleValue', encodeAny(21.25))).toBe(21.25);
    expect(decoded('BoolValue', encodeAny(true))).toBe(true);
    expect(encodeAny(7).type_url).toBe('type.googleapis.com/google.protobuf.Int64Value');
  });

  it('leaves out a value of another type, naming where it was', () => {
    const problems: string[] = [];
    const values = decodeConfigData(
      { data: { port: any('Int32Value', 502), odd: { type_url: 'type.googleapis.com/example.Custom', value: Buffer.from([1]) } } },
      'device plant/boiler: spec.protocol.configData',
      problems,
    );
    expect(values).toEqual({ port: 502 });
    expect(problems).toEqual([expect.stringMatching(/^device plant\/boiler: spec\.protocol\.configData\.odd: unsupported value type type\.googleapis\.com\/example\.Custom/)]);
  });
});
