import { Name, ProvisionWatcher } from '@gw/contracts';
import { matchWatcher } from '@gw/device-sdk/watcher-match';
import { discoveredDevice, parseScanTargets } from './discovery';

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('parseScanTargets', () => {
  it('reads TCP entries with default port and units, an explicit unit list and a timeout', () => {
    const [plain, listed] = parseScanTargets('tcp://10.0.0.5  tcp://meter.local:1502?units=1-3,7,2&timeout=2');
    expect(plain.endpoint).toMatchObject({ protocol: 'modbus-tcp', key: 'tcp://10.0.0.5:502', host: '10.0.0.5', port: 502 });
    expect(plain.units).toEqual(range(1, 247));
    expect(plain.properties).toEqual({ Address: '10.0.0.5', Port: '502' });
    expect(listed.endpoint).toMatchObject({ key: 'tcp://meter.local:1502', port: 1502, timeoutMs: 2000 });
    expect(listed.units).toEqual([1, 2, 3, 7]);
    expect(listed.properties).toEqual({ Address: 'meter.local', Port: '1502', Timeout: '2' });
  });

  it('reads an IPv6 host in brackets', () => {
    const [target] = parseScanTargets('tcp://[fe80::1]:502?units=5');
    expect(target.endpoint).toMatchObject({ host: 'fe80::1', key: 'tcp://[fe80::1]:502' });
    expect(target.units).toEqual([5]);
  });

  it('reads RTU entries with line settings, filling in the defaults found devices will carry', () => {
    const [target] = parseScanTargets('rtu:///dev/ttyUSB0?baud=9600&parity=N&units=1-32');
    expect(target.endpoint).toMatchObject({ protocol: 'modbus-rtu', key: 'rtu:///dev/ttyUSB0', path: '/dev/ttyUSB0', baudRate: 9600, parity: 'N' });
    expect(target.units).toEqual(range(1, 32));
    expect(target.properties).toEqual({ Address: '/dev/ttyUSB0', BaudRate: '9600', DataBits: '8', StopBits: '1', Parity: 'N' });
    expect(parseScanTargets('rtu:///dev/ttyS1')[0].properties).toEqual({
      Address: '/dev/ttyS1', BaudRate: '19200', DataBits: '8', StopBits: '1', Parity: 'E',
    });
  });

  it('separates entries by whitespace or semicolons and reads nothing from blank text', () => {
    const keys = parseScanTargets(' tcp://a;tcp://b\n rtu:///dev/ttyS0 ; ').map((t) => t.endpoint.key);
    expect(keys).toEqual(['tcp://a:502', 'tcp://b:502', 'rtu:///dev/ttyS0']);
    expect(parseScanTargets('  ')).toEqual([]);
  });

  it.each([
    ['udp://10.0.0.5', /"udp:\/\/10\.0\.0\.5": expected tcp:\/\/<host>\[:<port>\]/],
    ['10.0.0.5:502', /"10\.0\.0\.5:502": expected tcp:\/\//],
    ['tcp://', /"tcp:\/\/": "" is not <host>\[:<port>\]/],
    ['tcp://fe80::1', /"fe80::1" is not <host>\[:<port>\] \(an IPv6 address goes in brackets\)/],
    ['tcp://h:99999', /"tcp:\/\/h:99999": protocol modbus-tcp property Port: 99999 is outside 1\.\.65535/],
    ['tcp://h:x', /Port: "x" is not a whole number/],
    ['rtu://', /"rtu:\/\/": the serial device is missing/],
    ['rtu:///dev/ttyS0?parity=X', /property Parity: "X" is not N \(none\), E \(even\) or O \(odd\)/],
    ['rtu:///dev/ttyS0?baud=fast', /property BaudRate: "fast" is not a whole number/],
    ['tcp://h?baud=9600', /unknown option "baud" for tcp:\/\/ \(known: units, timeout, idletimeout\)/],
    ['tcp://h?port=1', /unknown option "port"/],
    ['tcp://h?units=', /option "units" has no value/],
    ['tcp://h?units=1-x', /units: "1-x" is not a unit id or a range/],
    ['tcp://h?units=10-2', /units: range 10-2 runs backwards/],
    ['tcp://h?units=1-300', /units: 300 is outside 0\.\.255/],
    ['rtu:///dev/ttyS0?units=0-3', /units: 0 is outside 1\.\.247/],
    ['tcp://h?timeout=soon', /property Timeout: "soon" is not a number of seconds or a duration/],
  ])('refuses %s', (text, message) => {
    expect(() => parseScanTargets(`tcp://fine ${text}`)).toThrow(message);
  });
});

describe('discoveredDevice', () => {
  it('describes a TCP unit as an EdgeX modbus-tcp device a watcher can match on Address and UnitID', () => {
    const [target] = parseScanTargets('tcp://127.0.0.1:1502?units=1&timeout=1');
    const found = discoveredDevice(target, 1, { VendorName: 'Acme', ProductCode: 'PM-1' });
    expect(found).toEqual({
      name: 'modbus-127.0.0.1-1502-1',
      description: 'Modbus unit 1 on tcp://127.0.0.1:1502 (Acme PM-1)',
      labels: ['modbus'],
      protocols: { 'modbus-tcp': { Address: '127.0.0.1', Port: '1502', UnitID: '1', Timeout: '1' } },
      properties: { VendorName: 'Acme', ProductCode: 'PM-1' },
    });
    const watcher = { name: 'W', identifiers: { Address: '127\\.0\\.0\\.1', UnitID: '1' }, discoveredDevice: {} } as unknown as ProvisionWatcher;
    expect(matchWatcher(found, watcher)).toEqual({ matches: true });
    expect(matchWatcher(discoveredDevice(target, 11, {}), watcher).matches).toBe(false);
  });

  it('names units by endpoint so that the name is a valid device name', () => {
    const [v6, rtu] = parseScanTargets('tcp://[fe80::1%eth0]:502 rtu:///dev/serial/by-id/usb-FTDI_A1');
    const names = [discoveredDevice(v6, 3, {}).name, discoveredDevice(rtu, 4, {}).name];
    expect(names).toEqual(['modbus-fe80__1_eth0-502-3', 'modbus-serial_by-id_usb-FTDI_A1-4']);
    for (const name of names) expect(Name.safeParse(name).success).toBe(true);
    expect(discoveredDevice(rtu, 4, {})).not.toHaveProperty('properties');
  });
});
