import { Document } from 'yaml';
import { ValidationError } from './errors';
import { parseDeviceProfile } from './parse';
import { ALIAS_NODE_ALLOWANCE, MAX_ANCHORS_AND_ALIASES } from './yaml-aliases';
import { readYaml } from './yaml-text';

/** The refusal's message, and whether the value was built (the expansion the check is there to avoid). */
function refusal(text: string): { message: string; built: boolean } {
  const toJS = jest.spyOn(Document.prototype, 'toJS');
  try {
    readYaml(text, 'bomb.yaml');
    throw new Error('not refused');
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return { message: (err as Error).message, built: toJS.mock.calls.length > 0 };
  } finally {
    toJS.mockRestore();
  }
}

describe('YAML aliases', () => {
  it('refuse one long list aliased many times before it is expanded, naming the alias and its line', () => {
    // The reviewer's upload in small: a shared list of resourceOperations, aliased by every command.
    const ops = Array.from({ length: 20_000 }, (_, i) => `  - {deviceResource: R${i % 10}}\n`).join('');
    const commands = Array.from({ length: 20 }, (_, i) => `- {name: C${i}, readWrite: R, resourceOperations: *ops}\n`).join('');
    const text = `name: Bomb\nshared: &ops\n${ops}deviceCommands:\n${commands}`;
    const { message, built } = refusal(text);
    // 60,147 nodes written (3 per operation): aliases may add 100,000 (more than that), each 60,001: the 2nd (C1, line 20,005) goes past.
    expect(message).toBe(
      `bomb.yaml:20005: alias *ops expands the document past 160147 nodes: aliases may add at most as many nodes as the text has (60147), or ${ALIAS_NODE_ALLOWANCE}`,
    );
    expect(built).toBe(false);
  });

  it('refuse nested aliases ("billion laughs") before they are expanded', () => {
    const levels = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (const name of 'bcdefgh') {
      const previous = String.fromCharCode(name.charCodeAt(0) - 1);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(', ')}]`);
    }
    const { message, built } = refusal(levels.join('\n') + '\n');
    expect(message).toMatch(/^bomb\.yaml:6: alias \*e expands the document past 1000\d\d nodes/);
    expect(built).toBe(false);
  });

  it('refuse an alias inside the node it names (a circular value)', () => {
    expect(refusal('name: P\nattributes: &loop\n  self: [*loop]\n')).toEqual({
      message: 'bomb.yaml:3: alias *loop refers to a node that contains it (a circular value)',
      built: false,
    });
  });

  it(`refuse more than ${MAX_ANCHORS_AND_ALIASES} anchors and aliases (yaml searches them all for every alias), naming the first one over`, () => {
    // Cheap to expand, but 50,000 aliases took yaml 28 s to resolve.
    const lines = Array.from({ length: 600 }, (_, i) => `a${i}: &a${i} x\nb${i}: *a${i}\n`).join('');
    const { message, built } = refusal(lines);
    expect(message).toBe(
      `bomb.yaml:1001: 1200 anchors (&) and aliases (*), more than the ${MAX_ANCHORS_AND_ALIASES} a document with aliases may have: write the repeated parts out`,
    );
    expect(built).toBe(false);
  });

  it('keep files that share a part through aliases, and anchors without aliases', () => {
    const resources = Array.from(
      { length: 50 },
      (_, i) => `- name: R${i}\n  properties: ${i === 0 ? '&int {valueType: Int32, readWrite: RW}' : '*int'}\n`,
    ).join('');
    const profile = parseDeviceProfile(`name: Shared\ndeviceResources:\n${resources}`);
    expect(profile.deviceResources).toHaveLength(50);
    expect(profile.deviceResources[49].properties).toEqual(profile.deviceResources[0].properties);
    expect(profile.deviceResources[49].properties.valueType).toBe('Int32');
    const anchors = Array.from({ length: 2 * MAX_ANCHORS_AND_ALIASES }, (_, i) => `k${i}: &a${i} x\n`).join('');
    expect(readYaml(`${anchors}description: "no alias here * at all"\n`).value).toMatchObject({ k0: 'x' });
  });
});
