/**
 * The driver conformance suite on the OPC UA driver (libs/drivers/opcua)
 * against a real OPC UA server: apps/opcua-sim's node-opcua server, started
 * in this process on a free port. Readable resources hold values no test
 * writes (UInt32 4,000,000,000, EdgeX's Constant 3.14 until written, and a
 * method call Add(2, 3)); writable ones cover a double, a 64-bit integer past
 * 2^53, a text (by nsu= namespace URI), a Boolean and an Int16 array; a ByteString reads as Binary.
 */
import { Device, parseDeviceProfile, validateDevice } from '@gw/contracts';
import { OpcuaDriver } from '@gw/drivers/opcua';
import type { RunningOpcuaSim } from '../../apps/opcua-sim/src/simulator';
import { startSim, testSettings } from '../opcua/support';
import { driverConformance } from './driver-conformance';

let sim: RunningOpcuaSim | undefined;

const PROFILE = `
name: OPCUA-Conformance
deviceResources:
  - { name: Big, properties: { valueType: Uint32, readWrite: R }, attributes: { nodeId: "ns=2;s=Scalar.UInt32" } }
  - { name: Sum, properties: { valueType: Int32, readWrite: R }, attributes: { objectId: "ns=2;s=Methods", methodId: "ns=2;s=Methods.Add", inputMap: ["2", "3"] } }
  - { name: Level, properties: { valueType: Float64, readWrite: RW }, attributes: { nodeId: "ns=2;s=Scalar.Double" } }
  - { name: Energy, properties: { valueType: Int64, readWrite: RW }, attributes: { nodeId: "ns=2;s=Scalar.Int64" } }
  - { name: Tag, properties: { valueType: String, readWrite: RW }, attributes: { nodeId: "nsu=urn:edge-gateway:opcua-sim;s=Scalar.String" } }
  - { name: Pump, properties: { valueType: Bool, readWrite: RW }, attributes: { nodeId: "ns=2;s=Scalar.Boolean" } }
  - { name: Levels, properties: { valueType: Int16Array, readWrite: RW }, attributes: { nodeId: "ns=2;s=Array.Int16" } }
  - { name: Blob, properties: { valueType: Binary, readWrite: R }, attributes: { nodeId: "ns=2;s=Scalar.ByteString" } }
  - { name: Pushed, properties: { valueType: Uint16, readWrite: R }, attributes: { nodeId: "ns=2;s=Scalar.UInt16" } }
`;

const device = (name: string, properties: Record<string, unknown> = {}): Device =>
  validateDevice({ name, profileName: 'OPCUA-Conformance', serviceName: 'device-opcua', protocols: { opcua: { Endpoint: sim!.endpointUrl, ...properties } } });

driverConformance('opcua (node-opcua server)', {
  setUp: async () => {
    sim = await startSim();
  },
  tearDown: async () => {
    await sim?.close();
  },
  newDriver: () => new OpcuaDriver(testSettings({ GW_OPCUA_DISCOVERY_ENDPOINTS: sim!.endpointUrl })),
  profile: () => parseDeviceProfile(PROFILE),
  device,
  // Another session (a user identity would be another; a label is not): the driver moves the device to it.
  updated: (d) => device(d.name, { Endpoint: sim!.endpointUrl.replace('127.0.0.1', 'localhost') }),
  readable: { Big: 4_000_000_000, Sum: 5, Blob: new Uint8Array([1, 2, 3, 254, 255]) },
  writable: {
    Level: [1.25, -2.5],
    Energy: [2n ** 60n + 1n, -(2n ** 55n) - 3n],
    Tag: ['pump', 'valve'],
    Pump: [false, true],
    Levels: [
      [1, -2, 300],
      [-32768, 32767],
    ],
  },
  invalid: [
    { what: 'an http:// Endpoint', device: (name) => device(name, { Endpoint: 'http://127.0.0.1:4840' }), field: 'Endpoint' },
    { what: 'a Password without Username', device: (name) => device(name, { Password: 'x' }), field: 'Password' },
    {
      what: 'a nodeId that is no node id',
      device,
      profile: () => parseDeviceProfile(PROFILE.replace('"ns=2;s=Scalar.UInt32"', '"ns=2;x=1"')),
      field: 'nodeId',
    },
    {
      what: 'a method without objectId',
      device,
      profile: () => parseDeviceProfile(PROFILE.replace('objectId: "ns=2;s=Methods", ', '')),
      field: 'objectId',
    },
  ],
  badAttribute: {
    resource: parseDeviceProfile(`
name: Bad
deviceResources:
  - { name: Broken, properties: { valueType: Float64, readWrite: R }, attributes: { nodeId: "ns=2;q=Scalar.Double" } }
`).deviceResources[0],
    attribute: 'nodeId',
    value: 1.5,
  },
  push: {
    trigger: async (driver, d) => {
      await driver.updateDevice({ ...d, autoEvents: [{ interval: '100ms', sourceName: 'Pushed', onChange: false }] }, parseDeviceProfile(PROFILE));
      await (driver as OpcuaDriver).settled();
      sim!.set('ns=2;s=Scalar.UInt16', { dataType: 'UInt16', value: 4242 });
    },
    values: [{ resourceName: 'Pushed', value: 4242 }],
  },
  // Objects holding variables, down to GW_OPCUA_DISCOVERY_DEPTH (2) below Objects, in the server's own namespaces.
  discovery: {
    names: () => {
      const { hostname, port } = new URL(sim!.endpointUrl);
      return ['Simulation', 'Scalar', 'Array', 'Oven'].map((browseName) => `opcua-${hostname}-${port}-${browseName}`);
    },
  },
});
