/**
 * Every builtin type of apps/opcua-sim (ns=2;s=Scalar.<Type>, s=Array.<Type>)
 * read and written through the driver as the matching EdgeX valueType,
 * 64-bit integers exact past 2^53, DateTime as text and as ms, ByteString as
 * Binary; methods called by a read with their inputMap coerced to the
 * declared argument types; Bad status codes as error kinds naming node,
 * device and resource.
 */
import { Device, DeviceProfile, ErrorKind, GatewayError, validateDevice, validateDeviceProfile, ValueType } from '@gw/contracts';
import type { OpcuaDriver } from '@gw/drivers/opcua';
import type { RawValue } from '@gw/device-sdk/driver';
import type { RunningOpcuaSim } from '../../apps/opcua-sim/src/simulator';
import { requestsFor, writesFor } from '../drivers/driver-conformance';
import { startedDriver, startSim } from './support';

const TWO_53 = 2n ** 53n;

/** [node, valueType, what the sim holds, a new value to write (undefined: read-only in EdgeX)] */
const CASES: Array<[string, ValueType, RawValue, RawValue | undefined]> = [
  ['Scalar.Boolean', 'Bool', true, false],
  ['Scalar.SByte', 'Int8', -12, 99],
  ['Scalar.Byte', 'Uint8', 200, 7],
  ['Scalar.Int16', 'Int16', -1234, 31000],
  ['Scalar.UInt16', 'Uint16', 54321, 1],
  ['Scalar.Int32', 'Int32', -123456789, 2147483647],
  ['Scalar.UInt32', 'Uint32', 4000000000, 12],
  ['Scalar.Int64', 'Int64', -(TWO_53 + 1n), 2n ** 62n + 3n],
  ['Scalar.UInt64', 'Uint64', TWO_53 + 1n, 2n ** 64n - 1n],
  ['Scalar.Float', 'Float32', 1.5, -0.25],
  ['Scalar.Double', 'Float64', 2.718281828459045, 1e-300],
  ['Scalar.String', 'String', 'hello', 'grüße'],
  ['Scalar.DateTime', 'String', '2024-05-06T07:08:09.123Z', '2031-01-02T03:04:05.678Z'],
  ['Scalar.ByteString', 'Binary', new Uint8Array([1, 2, 3, 254, 255]), undefined],
  ['Scalar.LocalizedText', 'String', 'Ofen', 'Furnace'],
  // DataType UtcTime, a subtype of DateTime: written as a DateTime (the server's DataType resolved to its builtin type).
  ['Scalar.UtcTime', 'String', '2024-01-01T00:00:00.000Z', '2032-02-03T04:05:06.789Z'],
  ['Array.Boolean', 'BoolArray', [true, false, true], [false]],
  ['Array.SByte', 'Int8Array', [-128, 0, 127], [1, -1]],
  ['Array.Byte', 'Uint8Array', [0, 128, 255], [9, 8, 7]],
  ['Array.Int16', 'Int16Array', [-32768, 1, 32767], [5]],
  ['Array.UInt16', 'Uint16Array', [0, 2, 65535], [6, 60000]],
  ['Array.Int32', 'Int32Array', [-2147483648, 3, 2147483647], [-7, 7]],
  ['Array.UInt32', 'Uint32Array', [0, 4, 4294967295], [8]],
  ['Array.Int64', 'Int64Array', [TWO_53 + 1n, 5n, -(2n ** 63n)], [-(TWO_53 + 3n), 2n ** 63n - 1n]],
  ['Array.UInt64', 'Uint64Array', [2n ** 64n - 1n, 6n, TWO_53 + 3n], [TWO_53 + 5n]],
  ['Array.Float', 'Float32Array', [0.25, -2.5, 1024], [3.5, -0.125]],
  ['Array.Double', 'Float64Array', [1e-300, -0.5, 1e300], [Math.PI]],
  ['Array.String', 'StringArray', ['a', 'b c', 'äöü'], ['x', '', 'z']],
  ['Array.DateTime', 'StringArray', ['2000-01-01T00:00:00.000Z', '2030-12-31T23:59:59.999Z'], ['2001-02-03T04:05:06.007Z']],
];

const nameOf = (node: string) => node.replace('.', '_');

const PROFILE = validateDeviceProfile({
  name: 'OPCUA-Types',
  deviceResources: [
    ...CASES.map(([node, valueType, , written]) => ({
      name: nameOf(node),
      properties: { valueType, readWrite: written === undefined ? 'R' : 'RW' },
      attributes: { nodeId: `ns=2;s=${node}` },
    })),
    { name: 'DateTimeMs', properties: { valueType: 'Int64', readWrite: 'RW' }, attributes: { nodeId: 'ns=2;s=Scalar.DateTime' } },
    { name: 'BytesIn', properties: { valueType: 'Uint8Array', readWrite: 'RW' }, attributes: { nodeId: 'ns=2;s=Scalar.ByteString' } },
    { name: 'Add', properties: { valueType: 'Int32', readWrite: 'R' }, attributes: { objectId: 'ns=2;s=Methods', methodId: 'ns=2;s=Methods.Add', inputMap: ['40', '2'] } },
    {
      name: 'AddBig',
      properties: { valueType: 'Int64', readWrite: 'R' },
      attributes: { objectId: 'ns=2;s=Methods', methodId: 'ns=2;s=Methods.AddBig', inputMap: ['9007199254740993', '-2'] },
    },
    { name: 'Echo', properties: { valueType: 'String', readWrite: 'R' }, attributes: { objectId: 'ns=2;s=Methods', methodId: 'ns=2;s=Methods.Echo', inputMap: ['hi'] } },
    { name: 'Scale', properties: { valueType: 'Float64', readWrite: 'R' }, attributes: { objectId: 'ns=2;s=Methods', methodId: 'ns=2;s=Methods.Scale', inputMap: ['1.5', '4'] } },
    // An input declared as the abstract Number: sent as a Double, not as text.
    { name: 'Twice', properties: { valueType: 'Float64', readWrite: 'R' }, attributes: { objectId: 'ns=2;s=Methods', methodId: 'ns=2;s=Methods.Twice', inputMap: ['2.5'] } },
    { name: 'AddWrong', properties: { valueType: 'Int32', readWrite: 'R' }, attributes: { objectId: 'ns=2;s=Methods', methodId: 'ns=2;s=Methods.Add', inputMap: ['x', '2'] } },
    { name: 'AddShort', properties: { valueType: 'Int32', readWrite: 'R' }, attributes: { objectId: 'ns=2;s=Methods', methodId: 'ns=2;s=Methods.Add', inputMap: ['1'] } },
    { name: 'Missing', properties: { valueType: 'Float64', readWrite: 'RW' }, attributes: { nodeId: 'ns=2;s=No.Such.Node' } },
    { name: 'Counter', properties: { valueType: 'Int32', readWrite: 'RW' }, attributes: { nodeId: 'ns=3;i=1002' } },
    { name: 'CounterByUri', properties: { valueType: 'Int32', readWrite: 'R' }, attributes: { nodeId: 'nsu=http://www.prosysopc.com/OPCUA/SimulationNodes/;i=1002' } },
    { name: 'NoNamespace', properties: { valueType: 'Int32', readWrite: 'R' }, attributes: { nodeId: 'nsu=urn:nobody;i=1' } },
  ],
});

describe('OPC UA types, methods and status codes', () => {
  let sim: RunningOpcuaSim;
  let driver: OpcuaDriver;
  let device: Device;
  const profile: DeviceProfile = PROFILE;
  const read = async (names: string[]) => (await driver.read(device, profile, requestsFor(profile, names))).map((r) => r.value);
  const failure = async (run: () => Promise<unknown>): Promise<GatewayError> => {
    const err = await run().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GatewayError);
    return err as GatewayError;
  };

  beforeAll(async () => {
    sim = await startSim();
    // No keep-alive read during the tests: the server's Read counter then counts only ours.
    ({ driver } = await startedDriver({ GW_OPCUA_KEEP_ALIVE_INTERVAL: '10m' }));
    device = validateDevice({ name: 'types', profileName: profile.name, serviceName: 'device-opcua', protocols: { opcua: { Endpoint: sim.endpointUrl } } });
    await driver.addDevice(device, profile);
  });

  afterAll(async () => {
    await driver?.stop(false);
    await sim?.close();
  });

  /** Read service calls the server has served in the driver's session. */
  const serverReads = () =>
    sim.server.engine
      .getSessions()
      .map((session) => (session as unknown as { _sessionDiagnostics: { readCount: { totalCount: number } } })._sessionDiagnostics.readCount.totalCount)
      .reduce((a, b) => a + b, 0);

  it('reads every scalar and array type in one Read, 64-bit integers exact past 2^53', async () => {
    const names = CASES.map(([node]) => nameOf(node));
    await read(names.slice(0, 1)); // connected
    const readsBefore = serverReads();
    const values = await read(names);
    expect(serverReads() - readsBefore).toBe(1);
    expect(names.map((n, i) => [n, values[i]])).toEqual(CASES.map(([node, , held]) => [nameOf(node), held]));
    expect(await read(['DateTimeMs'])).toEqual([BigInt(Date.parse('2024-05-06T07:08:09.123Z'))]);
  });

  it('writes every writable type, coerced to the node DataType, and reads it back', async () => {
    const writable = CASES.filter(([, , , w]) => w !== undefined);
    for (const [node, , , written] of writable) {
      await driver.write(device, profile, writesFor(profile, { [nameOf(node)]: written! }));
    }
    const names = writable.map(([node]) => nameOf(node));
    const back = await read(names);
    expect(names.map((n, i) => [n, back[i]])).toEqual(writable.map(([node, , , w]) => [nameOf(node), w]));
    // What the server holds, as its own types: an Int64 past 2^53 as exact words, a DateTime as a date.
    expect(sim.get('ns=2;s=Scalar.Int64').value).toEqual([0x40000000, 3]);
    expect((sim.get('ns=2;s=Scalar.DateTime').value as Date).toISOString()).toBe('2031-01-02T03:04:05.678Z');

    await driver.write(device, profile, writesFor(profile, { DateTimeMs: 86_400_000n }));
    expect(await read(['Scalar_DateTime'])).toEqual(['1970-01-02T00:00:00.000Z']);
    await driver.write(device, profile, writesFor(profile, { BytesIn: new Uint8Array([7, 0, 7]) }));
    expect(await read(['Scalar_ByteString', 'BytesIn'])).toEqual([new Uint8Array([7, 0, 7]), [7, 0, 7]]);
  });

  it('calls methods by objectId/methodId with inputMap coerced to the declared argument types; the first output is the reading', async () => {
    expect(await read(['Add', 'AddBig', 'Echo', 'Scale', 'Twice'])).toEqual([42, TWO_53 - 1n, 'echo: hi', 6, 5]);
    const wrong = await failure(() => read(['AddWrong']));
    expect(wrong.kind).toBe(ErrorKind.ContractInvalid);
    expect(wrong.message).toMatch(/device "types" resource "AddWrong" method ns=2;s=Methods.Add on ns=2;s=Methods inputMap\[0\] \(a\).*not a whole number/);
    const short = await failure(() => read(['AddShort']));
    expect(short.message).toContain('inputMap has 1 value(s), the method takes 2');
    const written = await failure(() => driver.write(device, profile, writesFor(profile, { Add: 1 })));
    expect(written.kind).toBe(ErrorKind.NotAllowed);
  });

  it('resolves nsu= namespace URIs against the server, and names a namespace it lacks', async () => {
    const [byIndex, byUri] = await read(['Counter', 'CounterByUri']);
    expect(Math.abs((byUri as number) - (byIndex as number))).toBeLessThanOrEqual(1);
    const err = await failure(() => read(['NoNamespace']));
    expect(err.kind).toBe(ErrorKind.ContractInvalid);
    expect(err.message).toContain('the server has no namespace urn:nobody');
  });

  it('maps Bad status codes to error kinds naming node, device and resource', async () => {
    const unknown = await failure(() => read(['Scalar_Double', 'Missing']));
    expect(unknown.kind).toBe(ErrorKind.ContractInvalid);
    expect(unknown.message).toMatch(/device "types" resource "Missing" node ns=2;s=No.Such.Node: BadNodeIdUnknown/);
    const readOnly = await failure(() => driver.write(device, profile, writesFor(profile, { Counter: 1 })));
    expect(readOnly.kind).toBe(ErrorKind.NotAllowed);
    expect(readOnly.message).toMatch(/device "types" resource "Counter" node ns=3;i=1002: BadNotWritable/);
    const range = await failure(() => driver.write(device, profile, writesFor(profile, { Scalar_Byte: 300 })));
    expect(range.kind).toBe(ErrorKind.ContractInvalid);
    expect(range.message).toMatch(/resource "Scalar_Byte" node ns=2;s=Scalar.Byte: 300 is outside Byte/);
  });
});
