import { valueProblem } from './values';

describe('valueProblem', () => {
  it.each([
    ['Bool', 'true'],
    ['Bool', 'F'],
    ['Bool', '1'],
    ['Int8', '-128'],
    ['Int64', '-9223372036854775808'],
    ['Uint64', '18446744073709551615'],
    ['Int16', '+12'],
    ['Float32', '-1.5e3'],
    ['Float64', '.5'],
    ['Float64', 'NaN'],
    ['String', 'anything at all'],
    ['Uint8Array', '[1, 2, 255]'],
    ['Int16Array', '[]'],
    ['Float32Array', '[1.5, -2]'],
    ['StringArray', '["a", "b"]'],
    ['BoolArray', '[true, false]'],
    ['Object', '{"mode": "auto"}'],
    ['ObjectArray', '[{"a": 1}]'],
  ] as const)('accepts %s %s', (valueType, text) => {
    expect(valueProblem(valueType, text)).toBeUndefined();
  });

  it.each([
    ['Bool', 'yes', '"yes" is not a valid Bool (true or false)'],
    ['Int8', '128', '128 is out of range for Int8 (-128..127)'],
    ['Uint64', '18446744073709551616', '18446744073709551616 is out of range for Uint64 (0..18446744073709551615)'],
    ['Uint8', '+1', '"+1" is not a valid Uint8'],
    ['Int32', '1.5', '"1.5" is not a valid Int32'],
    ['Float32', '1e39', '1e39 is out of range for Float32'],
    ['Float64', 'ten', '"ten" is not a valid Float64'],
    ['Uint8Array', '[1, 256]', 'Uint8Array element 256 is out of range for Uint8 (0..255)'],
    ['StringArray', '[1, 2]', '"[1, 2]" is not a JSON array for StringArray'],
    ['BoolArray', 'true', '"true" is not a JSON array for BoolArray'],
    ['Object', '[1]', '"[1]" is not a JSON object'],
    ['Object', '{broken', '"{broken" is not a JSON object'],
  ] as const)('refuses %s %s', (valueType, text, message) => {
    expect(valueProblem(valueType, text)).toBe(message);
  });
});
