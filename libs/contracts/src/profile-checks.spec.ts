import { issuesOf, yamlLines } from '../fixtures';
import { parseDeviceProfile, validateDeviceProfile } from './parse';

/** A valid profile; tests change one line (or add lines at the end) to break it. */
const PUMP = [
  'name: Pump', // 1
  'deviceResources:', // 2
  '  - name: Speed', // 3
  '    properties:', // 4
  '      valueType: Int16', // 5
  '      readWrite: RW', // 6
  '  - name: Running', // 7
  '    properties:', // 8
  '      valueType: Bool', // 9
  '      readWrite: R', // 10
  'deviceCommands:', // 11
  '  - name: Drive', // 12
  '    readWrite: RW', // 13
  '    resourceOperations:', // 14
  '      - { deviceResource: Speed, defaultValue: "0" }', // 15
];

function pump(changes: Record<number, string>, ...extra: string[]): string {
  return yamlLines(...PUMP.map((line, i) => changes[i + 1] ?? line), ...extra);
}

const issues = (text: string) => issuesOf(() => parseDeviceProfile(text));

describe('profile cross-checks', () => {
  it('accepts the base profile', () => {
    expect(parseDeviceProfile(pump({})).name).toBe('Pump');
  });

  it('refuses a duplicate deviceResource name', () => {
    expect(issues(pump({ 7: '  - name: Speed' }))).toEqual([
      { path: 'deviceResources[1].name', message: 'duplicate deviceResource name "Speed" (first at index 0)', line: 7, column: 5 },
    ]);
  });

  it('refuses a duplicate deviceCommand name', () => {
    const text = pump({}, '  - name: Drive', '    readWrite: R', '    resourceOperations:', '      - { deviceResource: Running }');
    expect(issues(text)).toEqual([expect.objectContaining({ path: 'deviceCommands[1].name', line: 16 })]);
  });

  it('refuses a resourceOperation naming a missing deviceResource', () => {
    expect(issues(pump({ 15: '      - { deviceResource: Sped }' }))).toEqual([
      {
        path: 'deviceCommands[0].resourceOperations[0].deviceResource',
        message: 'no deviceResource named "Sped" in this profile',
        line: 15,
        column: 11,
      },
    ]);
  });

  it('refuses a command allowing more than its resource does (RW over R), as EdgeX does', () => {
    expect(issues(pump({ 15: '      - { deviceResource: Running }' }))).toEqual([
      expect.objectContaining({
        path: 'deviceCommands[0].readWrite',
        message: '"RW" is more than deviceResource "Running" allows ("R")',
        line: 13,
      }),
    ]);
  });

  it('accepts a command allowing less than its resource does (R over RW)', () => {
    expect(() => parseDeviceProfile(pump({ 13: '    readWrite: R' }))).not.toThrow();
  });

  it('refuses a deviceCommand that takes a resource name without just wrapping that resource', () => {
    expect(issues(pump({ 12: '  - name: Running' }))).toEqual([
      expect.objectContaining({ path: 'deviceCommands[0].name', line: 12, message: expect.stringMatching(/also a deviceResource name/) }),
    ]);
  });

  it('accepts a deviceCommand named like the one resource it wraps (EdgeX Simple-Driver "Image")', () => {
    const text = pump({ 12: '  - name: Speed' });
    expect(parseDeviceProfile(text).deviceCommands[0].name).toBe('Speed');
  });

  it('refuses minimum > maximum', () => {
    const text = pump({ 6: '      readWrite: RW\n      minimum: 10\n      maximum: "5"' });
    expect(issues(text)).toEqual([
      expect.objectContaining({ path: 'deviceResources[0].properties.minimum', message: '10 is greater than maximum 5', line: 7 }),
    ]);
  });

  it.each([
    ['abc', 'Int16', '"abc" is not a valid Int16'],
    ['300', 'Uint8', '300 is out of range for Uint8 (0..255)'],
    ['-1', 'Uint16', '"-1" is not a valid Uint16'],
    ['maybe', 'Bool', '"maybe" is not a valid Bool (true or false)'],
  ])('refuses defaultValue %s for %s', (value, valueType, message) => {
    const text = pump({ 5: `      valueType: ${valueType}`, 15: `      - { deviceResource: Speed, defaultValue: "${value}" }` });
    expect(issues(text)).toEqual([
      expect.objectContaining({ path: 'deviceCommands[0].resourceOperations[0].defaultValue', message, line: 15 }),
    ]);
  });

  it("checks a resource's own defaultValue too", () => {
    const text = pump({ 6: '      readWrite: RW\n      defaultValue: "70000"' });
    expect(issues(text)).toEqual([
      expect.objectContaining({
        path: 'deviceResources[0].properties.defaultValue',
        message: '70000 is out of range for Int16 (-32768..32767)',
        line: 7,
      }),
    ]);
  });

  it('reads a defaultValue written as a mapped value the way the SDK does (ON -> true)', () => {
    const text = pump({
      5: '      valueType: Bool',
      15: '      - { deviceResource: Speed, defaultValue: "ON", mappings: { "true": "ON", "false": "OFF" } }',
    });
    expect(() => parseDeviceProfile(text)).not.toThrow();
  });

  it('refuses a writable Binary resource, as EdgeX does', () => {
    expect(issues(pump({ 5: '      valueType: Binary', 15: '      - { deviceResource: Speed }' }))).toEqual([
      expect.objectContaining({ path: 'deviceResources[0].properties.readWrite', line: 6 }),
    ]);
  });

  it('lists every cross-check issue at once', () => {
    const text = pump({ 7: '  - name: Speed', 15: '      - { deviceResource: Sped }' });
    expect(issues(text).map((i) => i.line)).toEqual([7, 15]);
  });

  it('names fields under the request path for REST bodies', () => {
    const body = {
      name: 'Pump',
      deviceResources: [{ name: 'Speed', properties: { valueType: 'Int16', readWrite: 'R' } }],
      deviceCommands: [{ name: 'Drive', readWrite: 'R', resourceOperations: [{ deviceResource: 'Sped' }] }],
    };
    expect(issuesOf(() => validateDeviceProfile(body, { path: '[0].profile' }))).toEqual([
      {
        path: '[0].profile.deviceCommands[0].resourceOperations[0].deviceResource',
        message: 'no deviceResource named "Sped" in this profile',
      },
    ]);
  });
});
