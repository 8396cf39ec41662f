import { isValidName, Name, NAME_MAX_LENGTH, nameProblem } from './models';
import { parseDeviceProfile, validateDevice } from './parse';
import { ValidationError } from './errors';

function problem(value: string): string | undefined {
  const result = Name.safeParse(value);
  return result.success ? undefined : result.error.issues.map((i) => i.message).join('; ');
}

describe('Name', () => {
  it.each([
    ['ascii', 'Boiler-1'],
    ['dots and underscores', 'plant.line_2.boiler~1'],
    ['unicode letters', 'Kessel-Süd_温度计'],
    ['an astral character (a surrogate pair)', 'sensor-😀'],
    ['exactly 255 characters', 'a'.repeat(NAME_MAX_LENGTH)],
    ['255 astral characters (510 UTF-16 units)', '😀'.repeat(NAME_MAX_LENGTH)],
  ])('accepts %s', (_what, value) => {
    expect(problem(value)).toBeUndefined();
    expect(isValidName(value)).toBe(true);
  });

  it.each([
    ['256 characters', 'a'.repeat(NAME_MAX_LENGTH + 1), 'at most 255 characters'],
    ['1,000,000 characters', 'x'.repeat(1_000_000), 'at most 255 characters'],
    ['empty', '', 'must not be empty'],
    ['NUL', 'ab\u0000c', 'contains a control character (U+0000) at position 3'],
    ['BEL', 'ab\u0007', 'contains a control character (U+0007) at position 3'],
    ['DEL', '\u007Fab', 'contains a control character (U+007F) at position 1'],
    ['a C1 control', 'a\u0085', 'contains a control character (U+0085) at position 2'],
    ['ESC after an astral character (positions count characters)', '😀\u001b', 'contains a control character (U+001B) at position 2'],
    ['right-to-left override', 'abc\u202Etxt.exe', 'contains a bidirectional control character (U+202E) at position 4'],
    ['left-to-right embedding', '\u202Aa', 'contains a bidirectional control character (U+202A) at position 1'],
    ['first strong isolate', 'a\u2068b', 'contains a bidirectional control character (U+2068) at position 2'],
    ['pop directional isolate', 'a\u2069', 'contains a bidirectional control character (U+2069) at position 2'],
    ['left-to-right mark', 'a\u200E', 'contains a bidirectional control character (U+200E) at position 2'],
    ['right-to-left mark', '\u200Fa', 'contains a bidirectional control character (U+200F) at position 1'],
    ['a lone high surrogate', 'ab\uD800', 'contains an unpaired surrogate (U+D800) at position 3'],
    ['a lone low surrogate', '\uDC00ab', 'contains an unpaired surrogate (U+DC00) at position 1'],
    ['a space (topics and URLs)', 'boiler 1', 'must not contain spaces or any of / # + ? & % (names go into bus topics and URL paths)'],
    ['a slash', 'a/b', 'must not contain spaces or any of / # + ? & % (names go into bus topics and URL paths)'],
  ])('refuses %s, saying why', (_what, value, message) => {
    expect(problem(value)).toBe(message);
    expect(nameProblem(value)).toBe(message);
    expect(isValidName(value)).toBe(false);
  });

  it('names the field in the validation error', () => {
    let error: unknown;
    try {
      validateDevice({ name: `a\u0007b`, profileName: 'P', serviceName: 'S', protocols: {} }, { path: 'device' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toContainEqual({ path: 'device.name', message: 'contains a control character (U+0007) at position 2' });
  });

  it('names the field and line in a YAML profile', () => {
    const yaml = ['name: Boiler', 'deviceResources:', '  - name: "temp\\u202Eerature"', '    properties: { valueType: Float32, readWrite: R }', ''].join('\n');
    let error: unknown;
    try {
      parseDeviceProfile(yaml, { source: 'boiler.yaml' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toContainEqual(
      expect.objectContaining({ path: 'deviceResources[0].name', line: 3, message: 'contains a bidirectional control character (U+202E) at position 5' }),
    );
    expect((error as Error).message).toMatch(/boiler\.yaml:3/);
  });

  it('checks a long name quickly', () => {
    const long = 'x'.repeat(10_000_000);
    const start = process.hrtime.bigint();
    expect(nameProblem(long)).toBe('at most 255 characters');
    expect(Number(process.hrtime.bigint() - start) / 1e6).toBeLessThan(200);
  });
});
