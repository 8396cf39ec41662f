import { parseDocument } from 'yaml';
import { ErrorKind, GatewayError } from '@gw/contracts';
import { checkProfileSize, checkYamlProfileSize, countBlockOperations, countBlockSequence, UNCOUNTED_YAML_MAX_BYTES } from './profile-limits';

/** What the YAML parser counts, to hold the line scan to. */
const parsedCount = (text: string, key: string) => (parseDocument(text).get(key) as { items: unknown[] } | undefined)?.items.length;

describe('countBlockSequence', () => {
  it.each([
    ['items at column 0 (EdgeX samples)', 'name: P\ndeviceResources:\n- name: a\n  properties: {valueType: Int32}\n- name: b\ndeviceCommands: []\n', 2],
    ['indented items, comments and blank lines', 'deviceResources:   # the resources\n\n  # first\n  - name: a\n\n    description: x\n  - name: b\n  -\n    name: c\nlabels: [x]\n', 3],
    ['nested lists and block scalars deeper than the items', 'deviceResources:\n- name: a\n  attributes:\n  - x\n  - y\n  description: |\n    - not an item\n- name: b\n', 2],
    ['CRLF line ends', 'deviceResources:\r\n- name: a\r\n- name: b\r\n', 2],
    ['a list that ends the document', 'deviceResources:\n- name: a\n---\n', 1],
  ])('counts %s as the parser does', (_what, text, expected) => {
    expect(countBlockSequence(text, 'deviceResources')).toBe(expected);
    expect(parsedCount(text.replace(/---\n$/, ''), 'deviceResources')).toBe(expected);
  });

  it.each([
    ['absent', 'name: P\n'],
    ['flow style', 'deviceResources: [{name: a}, {name: b}]\n'],
    ['on the next line in flow style', 'deviceResources:\n  [{name: a}]\n'],
    ['an alias', 'deviceResources: *shared\n'],
    ['nested, not top-level', 'other:\n  deviceResources:\n  - name: a\n'],
  ])('leaves a list it cannot see to the parser: %s', (_what, text) => {
    expect(countBlockSequence(text, 'deviceResources')).toBeUndefined();
  });
});

describe('countBlockOperations', () => {
  /** What the YAML parser counts. */
  const parsedOperations = (text: string) =>
    (parseDocument(text).toJS() as { deviceCommands: { resourceOperations?: unknown }[] }).deviceCommands.reduce(
      (sum, command) => sum + (Array.isArray(command.resourceOperations) ? command.resourceOperations.length : 0),
      0,
    );

  it.each([
    [
      'EdgeX sample style (items under the key, one flow map each)',
      'deviceCommands:\n-\n  name: C\n  resourceOperations:\n    - { deviceResource: "A", mappings: {"true":"ON"} }\n    - { deviceResource: "B" }\n-\n  name: D\n  resourceOperations:\n  - { deviceResource: "A" }\n',
      3,
    ],
    [
      'indented commands, items at the key column, block maps, comments',
      'name: P\ndeviceCommands:\n  - name: C\n    resourceOperations:   # ops\n    - deviceResource: A\n      defaultValue: "1"\n\n    # - deviceResource: Commented\n    - deviceResource: B\n    readWrite: RW\n  - resourceOperations:\n      - deviceResource: C\n',
      3,
    ],
    [
      'only the block list, beside a flow list',
      'deviceCommands:\n- name: C\n  resourceOperations: [{deviceResource: A}, {deviceResource: B}]\n- name: D\n  resourceOperations:\n  - deviceResource: C\n',
      1,
    ],
    [
      'a key outside deviceCommands',
      'deviceResources:\n- name: A\n  attributes:\n    resourceOperations:\n    - x\ndeviceCommands:\n- name: C\n  resourceOperations:\n  - deviceResource: A\n',
      1,
    ],
  ])('counts %s', (what, text, expected) => {
    expect(countBlockOperations(text)).toBe(expected);
    if (!what.includes('flow')) expect(parsedOperations(text)).toBe(expected);
  });
});

describe('profile size limits', () => {
  const limits = { maxResources: 3, maxCommands: 2, maxOperations: 4 };
  const refusal = (check: () => void) => {
    try {
      check();
    } catch (err) {
      expect(GatewayError.is(err, ErrorKind.PayloadTooLarge)).toBe(true);
      return (err as Error).message;
    }
    return undefined;
  };
  const resources = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `R${i}` }));
  const yamlList = (key: string, n: number) => `${key}:\n${Array.from({ length: n }, (_, i) => `- name: R${i}\n`).join('')}`;

  it('accepts a profile at the limits', () => {
    expect(refusal(() => checkProfileSize({ deviceResources: resources(3), deviceCommands: resources(2) }, limits, 'profile'))).toBeUndefined();
    expect(refusal(() => checkYamlProfileSize(yamlList('deviceResources', 3) + yamlList('deviceCommands', 2), limits, 'p.yaml'))).toBeUndefined();
  });

  it('refuses one over, naming the count, the limit and its variable', () => {
    expect(refusal(() => checkProfileSize({ deviceResources: resources(4) }, limits, '[0].profile'))).toBe(
      '[0].profile: 4 deviceResources, more than the 3 a profile may have (GW_METADATA_MAX_PROFILE_RESOURCES)',
    );
    expect(refusal(() => checkYamlProfileSize(`name: P\n${yamlList('deviceCommands', 3)}`, limits, 'big.yaml'))).toBe(
      'big.yaml: 3 deviceCommands, more than the 2 a profile may have (GW_METADATA_MAX_PROFILE_COMMANDS)',
    );
  });

  it('counts resourceOperations of all commands together, before parsing when written in block style', () => {
    const command = (name: string, ops: number) => ({ name, resourceOperations: resources(ops).map((r) => ({ deviceResource: r.name })) });
    expect(refusal(() => checkProfileSize({ deviceCommands: [command('C', 2), command('D', 2)] }, limits, 'profile'))).toBeUndefined();
    expect(refusal(() => checkProfileSize({ deviceCommands: [command('C', 2), command('D', 3)] }, limits, 'profile'))).toBe(
      'profile: 5 resourceOperations, more than the 4 a profile may have (GW_METADATA_MAX_PROFILE_OPERATIONS)',
    );
    const yamlCommand = (name: string, ops: number) =>
      `- name: ${name}\n  resourceOperations:\n${Array.from({ length: ops }, (_, i) => `  - { deviceResource: R${i} }\n`).join('')}`;
    expect(refusal(() => checkYamlProfileSize(`deviceCommands:\n${yamlCommand('C', 2)}${yamlCommand('D', 2)}`, limits, 'p.yaml'))).toBeUndefined();
    expect(refusal(() => checkYamlProfileSize(`deviceCommands:\n${yamlCommand('C', 1)}${yamlCommand('D', 4)}`, limits, 'p.yaml'))).toBe(
      'p.yaml: 5 resourceOperations, more than the 4 a profile may have (GW_METADATA_MAX_PROFILE_OPERATIONS)',
    );
  });

  it('refuses a text above UNCOUNTED_YAML_MAX_BYTES whose lists it cannot count, unparsed, naming the limit', () => {
    const flow = (n: number) => `name: P\ndeviceResources: [${Array.from({ length: n }, (_, i) => `{name: R${i}}`).join(', ')}]\n`;
    const big = flow(30_000);
    expect(Buffer.byteLength(big)).toBeGreaterThan(UNCOUNTED_YAML_MAX_BYTES);
    expect(refusal(() => checkYamlProfileSize(big, limits, 'flow.yaml'))).toBe(
      `flow.yaml: deviceResources not written as a block list (one "- " item per line) cannot be counted before parsing, ` +
        `so the file may be at most ${UNCOUNTED_YAML_MAX_BYTES} bytes, not ${Buffer.byteLength(big)}: write it as a block list, or send the profile as JSON`,
    );
    // Small enough to parse: counted once parsed.
    expect(refusal(() => checkYamlProfileSize(flow(4), limits, 'flow.yaml'))).toBeUndefined();
    // A key behind an escape may be a list too.
    const escaped = `name: P\n"deviceResourc\\x65s": [{name: R0}]\ndescription: "${'x'.repeat(UNCOUNTED_YAML_MAX_BYTES)}"\n`;
    expect(refusal(() => checkYamlProfileSize(escaped, limits, 'e.yaml'))).toContain('e.yaml: deviceResources and deviceCommands not written as a block list');
  });

  it('never refuses a large profile for a list it does not have', () => {
    const text = `name: P\ndescription: "${'x'.repeat(UNCOUNTED_YAML_MAX_BYTES)}"\n${yamlList('deviceResources', 3)}`;
    expect(refusal(() => checkYamlProfileSize(text, limits, 'p.yaml'))).toBeUndefined();
  });

  it('counts the 50,000 resources of the profile that stalled the service', () => {
    const resource = (i: number) => `- name: R${i}\n  properties:\n    valueType: Int32\n    readWrite: RW\n`;
    const text = `name: Big\ndeviceResources:\n${Array.from({ length: 50_000 }, (_, i) => resource(i)).join('')}`;
    expect(countBlockSequence(text, 'deviceResources')).toBe(50_000);
  });
});
