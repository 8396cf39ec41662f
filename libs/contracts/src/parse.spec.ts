import { fixture, issuesOf, yamlLines } from '../fixtures';
import { ValidationError } from './errors';
import {
  parseDeviceList,
  parseDeviceProfile,
  parseProvisionWatcher,
  validateDevice,
  validateDeviceProfile,
  validateProvisionWatcher,
} from './parse';

/** What a client would send back after reading our JSON. */
const viaJson = <T>(value: T): unknown => JSON.parse(JSON.stringify(value));

describe('EdgeX-shaped fixtures', () => {
  it('parses a Simple-Driver-shaped profile and round-trips it through JSON', () => {
    const profile = parseDeviceProfile(fixture('demo-actuator.profile.yaml'));
    expect(profile.name).toBe('Demo-Actuator');
    expect(profile.deviceResources.map((r) => r.properties.valueType)).toEqual([
      'Bool', 'Binary', 'Int32', 'Int32', 'Int32', 'StringArray', 'Uint8Array', 'Object',
    ]);
    expect(profile.deviceResources[1].properties.mediaType).toBe('image/png');
    expect(profile.deviceResources[3]).toMatchObject({ isHidden: true, properties: { units: 'deg/s' } });
    expect(profile.deviceCommands[2].resourceOperations).toHaveLength(3);
    expect(validateDeviceProfile(viaJson(profile))).toEqual(profile);
  });

  it('parses a modbus-style profile: flow-map attributes, fractional address, mappings, numbers kept as numbers', () => {
    const profile = parseDeviceProfile(fixture('boiler.modbus.profile.yaml'));
    const [burner, , mode, fault, water] = profile.deviceResources;
    expect(burner.attributes).toEqual({ primaryTable: 'COILS', startingAddress: 0 });
    expect(fault.attributes).toEqual({ primaryTable: 'HOLDING_REGISTERS', startingAddress: 10.1 });
    expect(mode.properties).toMatchObject({ minimum: 0, maximum: 3, defaultValue: '0', scale: 1 });
    expect(water.properties.scale).toBe(0.1);
    expect(profile.deviceCommands[1].resourceOperations[0].mappings).toEqual({ 0: 'Off', 1: 'Heat', 2: 'Eco', 3: 'Frost' });
    expect(validateDeviceProfile(viaJson(profile))).toEqual(profile);
  });

  it('parses a device list, including a device without a profileName', () => {
    const devices = parseDeviceList(fixture('demo-actuator.devices.yaml'));
    expect(devices.map((d) => d.name)).toEqual(['Demo-Actuator01', 'Unprofiled-Actuator']);
    expect(devices[0].autoEvents).toEqual([
      { interval: '10s', onChange: false, sourceName: 'RelayState' },
      { interval: '1m30s', onChange: false, sourceName: 'Snapshot' },
    ]);
    expect(devices[1].profileName).toBeUndefined();
    expect(devices[1]).toMatchObject({ adminState: 'UNLOCKED', operatingState: 'UP' });
    for (const device of devices) expect(validateDevice(viaJson(device))).toEqual(device);
  });

  it('parses a modbus device list: tcp and rtu protocols, quoted parity, a profile not at hand', () => {
    const devices = parseDeviceList(fixture('boiler.modbus.devices.yaml'));
    expect(devices).toHaveLength(3);
    expect(devices[0].protocols['modbus-tcp']).toMatchObject({ Address: '192.168.10.20', Port: 502, UnitID: 1 });
    expect(devices[0].description).toBe('Boiler controller on the plant LAN, polled for its water temperature and settings.');
    expect(devices[1].protocols['modbus-rtu']).toMatchObject({ Address: '/dev/ttyUSB0', BaudRate: 19200, Parity: 'N' });
    expect(devices[2].profileName).toBe('Flow-Meter-Modbus-Profile');
    for (const device of devices) expect(validateDevice(viaJson(device))).toEqual(device);
  });

  it('parses a provision watcher: regex identifiers kept verbatim, numeric blocking identifiers as strings', () => {
    const watcher = parseProvisionWatcher(fixture('demo-actuator.provision-watcher.yaml'));
    expect(watcher.identifiers).toEqual({ Address: 'demo[0-9]+', Port: '4[0-9]{2}' });
    expect(watcher.blockingIdentifiers).toEqual({ Port: ['497', '498', '499'] });
    expect(watcher.discoveredDevice).toMatchObject({ profileName: 'Demo-Actuator', adminState: 'LOCKED' });
    expect(validateProvisionWatcher(viaJson(watcher))).toEqual(watcher);
  });
});

describe('parseDeviceList', () => {
  it('accepts a bare list of devices and names fields by index', () => {
    const text = yamlLines(
      '- name: A', // 1
      '  protocols: {}', // 2
      '- name: B', // 3
      '  adminState: OPEN', // 4
    );
    expect(issuesOf(() => parseDeviceList(text))).toEqual([
      expect.objectContaining({ path: '[1].adminState', line: 4 }),
    ]);
    expect(parseDeviceList('[{ "name": "A" }]')).toHaveLength(1);
  });

  it('refuses duplicate device names, pointing at the second one', () => {
    const text = yamlLines(
      'deviceList:', // 1
      '  - name: Meter', // 2
      '  - name: Valve', // 3
      '  - name: Meter', // 4
    );
    expect(issuesOf(() => parseDeviceList(text))).toEqual([
      { path: 'deviceList[2].name', message: 'duplicate device name "Meter" (first at index 0)', line: 4, column: 5 },
    ]);
  });

  it('names a wrong duration with its field and line, whether text or a bare number', () => {
    const text = yamlLines(
      'deviceList:', // 1
      '  - name: Meter', // 2
      '    autoEvents:', // 3
      '      - interval: 20 seconds', // 4
      '        sourceName: Flow', // 5
      '      - interval: 5', // 6
      '        sourceName: Flow', // 7
      '      - interval: 0s', // 8
      '        sourceName: Flow', // 9
    );
    expect(issuesOf(() => parseDeviceList(text, { source: 'meters.yaml' }))).toEqual([
      expect.objectContaining({ path: 'deviceList[0].autoEvents[0].interval', line: 4, message: expect.stringMatching(/duration/) }),
      expect.objectContaining({ path: 'deviceList[0].autoEvents[1].interval', line: 6, message: expect.stringMatching(/duration/) }),
      expect.objectContaining({ path: 'deviceList[0].autoEvents[2].interval', line: 8, message: 'must be at least 1ms' }),
    ]);
  });

  it('requires the deviceList key; a misspelt one is ignored, as EdgeX ignores it, and reported', () => {
    const ignored: string[] = [];
    expect(issuesOf(() => parseDeviceList('devicelist: []\n', { onIgnored: (paths) => ignored.push(...paths) }))).toEqual([
      expect.objectContaining({ path: 'deviceList', message: 'is required', line: 1 }),
    ]);
    expect(ignored).toEqual(['devicelist']);
  });
});

describe('YAML syntax errors', () => {
  const cases: [string, string, number][] = [
    [
      'a key less indented than its siblings',
      yamlLines('name: Pump', 'deviceResources:', '  - name: Speed', '    properties:', '      valueType: Int16', '     readWrite: RW'),
      6,
    ],
    [
      'a key more indented than its siblings',
      yamlLines('name: Pump', 'deviceResources:', '  - name: Speed', '    properties:', '      valueType: Int16', '        readWrite: RW'),
      6,
    ],
    ['a tab used as indentation', yamlLines('name: Pump', 'labels:', '\t- a'), 3],
    ['an unclosed quote, where it opened', yamlLines('name: Pump', 'description: "open', 'model: X'), 2],
    ['a value run on into a more indented line', yamlLines('name: Pump', 'model: X', '  manufacturer: Y'), 3],
    ['a duplicate key', yamlLines('name: Pump', 'model: A', 'name: Other'), 3],
  ];

  it.each(cases)('reports %s at its line', (_what, text, line) => {
    const issues = issuesOf(() => parseDeviceProfile(text, { source: 'pump.yaml' }));
    expect(issues[0]).toMatchObject({ path: '', line, message: expect.stringMatching(/^invalid YAML: /) });
  });

  it('puts the file and line in the error message', () => {
    const text = yamlLines('name: Pump', 'model: A', 'name: Other');
    expect(() => parseDeviceProfile(text, { source: 'pump.yaml' })).toThrow(
      new ValidationError([{ path: '', message: 'invalid YAML: Map keys must be unique', line: 3, column: 1 }], 'pump.yaml'),
    );
    expect(() => parseDeviceProfile(text, { source: 'pump.yaml' })).toThrow(/^pump\.yaml:3: invalid YAML: Map keys must be unique$/);
  });
});

describe('schema errors in text', () => {
  const profile = (...resourceLines: string[]) =>
    yamlLines(
      'name: Pump', // 1
      'deviceResources:', // 2
      '  - name: Speed', // 3
      '    properties:', // 4
      ...resourceLines, // 5...
    );

  it('names an unknown valueType with its path and line', () => {
    const issues = issuesOf(() => parseDeviceProfile(profile('      valueType: Int17', '      readWrite: RW')));
    expect(issues).toEqual([
      {
        path: 'deviceResources[0].properties.valueType',
        message: expect.stringMatching(/^"Int17" is not one of Bool, String, /),
        line: 5,
        column: 7,
      },
    ]);
  });

  it('ignores a field no EdgeX profile has, as EdgeX does, and reports it so the uploader sees the likely typo', () => {
    const ignored: string[] = [];
    const parsed = parseDeviceProfile(profile('      valueType: Int16', '      readWrite: RW', '      unit: rpm'), { onIgnored: (paths) => ignored.push(...paths) });
    expect(parsed.deviceResources[0].properties).not.toHaveProperty('unit');
    expect(ignored).toEqual(['deviceResources[0].properties.unit']);
  });

  it('matches YAML keys exactly, as EdgeX’s yaml.v3 does: a key in the wrong case is ignored', () => {
    const ignored: string[] = [];
    const issues = issuesOf(() => parseDeviceProfile(profile('      ValueType: Int16', '      readWrite: RW'), { onIgnored: (paths) => ignored.push(...paths) }));
    expect(issues).toEqual([expect.objectContaining({ path: 'deviceResources[0].properties.valueType', message: 'is required' })]);
    expect(ignored).toEqual(['deviceResources[0].properties.ValueType']);
  });

  it('places a missing field at its parent', () => {
    const issues = issuesOf(() => parseDeviceProfile(profile('      valueType: Int16')));
    expect(issues).toEqual([expect.objectContaining({ path: 'deviceResources[0].properties.readWrite', message: 'is required', line: 4 })]);
  });

  it('lists every issue, in file order', () => {
    const text = profile(
      '      valueType: Int17', // 5
      '      readWrite: X', // 6
      '      scale: ten', // 7
    );
    expect(issuesOf(() => parseDeviceProfile(text)).map((i) => [i.path, i.line])).toEqual([
      ['deviceResources[0].properties.valueType', 5],
      ['deviceResources[0].properties.readWrite', 6],
      ['deviceResources[0].properties.scale', 7],
    ]);
  });

  it('finds lines in JSON text too', () => {
    const json = [
      '{', // 1
      '  "name": "Pump",', // 2
      '  "deviceResources": [', // 3
      '    { "name": "Speed",', // 4
      '      "properties": { "valueType": "Int16", "readWrite": "RW" } },', // 5
      '    { "name": "Level",', // 6
      '      "properties": { "valueType": "Int17", "readWrite": "R" } }', // 7
      '  ]', // 8
      '}', // 9
    ].join('\n');
    expect(issuesOf(() => parseDeviceProfile(json))).toEqual([
      expect.objectContaining({ path: 'deviceResources[1].properties.valueType', line: 7 }),
    ]);
  });

  it('counts lines the same in a file saved with CRLF line ends', () => {
    const text = ['name: Pump', 'deviceResources:', '  - name: Speed', '    properties: { valueType: Int17, readWrite: R }'].join('\r\n');
    expect(issuesOf(() => parseDeviceProfile(text))).toEqual([
      expect.objectContaining({ path: 'deviceResources[0].properties.valueType', line: 4 }),
    ]);
  });

  it('refuses an empty document', () => {
    expect(issuesOf(() => parseDeviceProfile(''))).toEqual([{ path: '', message: 'Expected object, received null' }]);
  });

  it('reports a value of the wrong kind where several kinds would do', () => {
    const text = yamlLines('name: Pump', 'labels:', '  - { site: A }');
    expect(issuesOf(() => parseDeviceProfile(text))).toEqual([
      expect.objectContaining({ path: 'labels[0]', message: 'Expected string or number or boolean, received object', line: 3 }),
    ]);
  });
});
