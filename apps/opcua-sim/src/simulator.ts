/**
 * A simulated OPC UA server (node-opcua, in this process) for trying
 * device-opcua, for the tests and for the benchmark. Its address space:
 *
 * - ns=3 (http://www.prosysopc.com/OPCUA/SimulationNodes/, the namespace of
 *   the Prosys simulation server EdgeX's sample files are written for):
 *   i=1001 Constant (Double, writable), i=1002 Counter (Int32, +1 per tick),
 *   i=1003 Random (Double, new per tick) — so EdgeX's OpcuaServer.yaml works;
 * - ns=2 `s=Scalar.<Type>` and `s=Array.<Type>`: one writable variable per
 *   builtin type (Boolean, SByte...UInt64, Float, Double, String, DateTime,
 *   ByteString) and an array of each;
 * - ns=2 `s=Line1.Oven.*`: a small oven (Temperature follows Setpoint while
 *   Running), the sample profile's device;
 * - ns=2 `s=Methods` with methods Add(Int32, Int32), AddBig(Int64, Int64),
 *   Echo(String), Scale(Double, Double);
 * - optionally `s=Bench.<n>` Doubles all changing every tick (the benchmark).
 *
 * The server listens on opc.tcp://<host>:<port><resourcePath>, security None
 * (and, when `secure` is set, Basic256Sha256 Sign and SignAndEncrypt too),
 * its certificates in `pkiDir` (never ~/.config).
 */
import { join } from 'node:path';
import { typedArray } from '../../../libs/drivers/opcua/src/codec';
import {
  DataType,
  LocalizedText,
  MessageSecurityMode,
  Namespace,
  OPCUACertificateManager,
  OPCUAServer,
  SecurityPolicy,
  StatusCodes,
  UAObject,
  UAVariable,
  Variant,
  VariantArrayType,
  VariantLike,
} from 'node-opcua';

export const PROSYS_NAMESPACE = 'http://www.prosysopc.com/OPCUA/SimulationNodes/';
export const SIM_NAMESPACE = 'urn:edge-gateway:opcua-sim';

export interface OpcuaSimOptions {
  host?: string;
  /** 0 is not accepted by node-opcua: pick a free port. */
  port: number;
  /** Default /OPCUA/SimulationServer, the Prosys path EdgeX's sample device names. */
  resourcePath?: string;
  /** Certificates of the server (created on first use, in pure JS). */
  pkiDir: string;
  /** Counter, Random, the oven and the bench variables change every tick (default 1 s). */
  tickMs?: number;
  /** Bench.<0..n-1> Double variables changing every tick. */
  benchItems?: number;
  /** Also offer Basic256Sha256 / Aes128_Sha256_RsaOaep / Aes256_Sha256_RsaPss with Sign and SignAndEncrypt. */
  secure?: boolean;
  /** Accept client certificates it has not seen (default true: a demo server). */
  acceptUnknownClients?: boolean;
  /** Users for UserName tokens ({ name: password }); anonymous is always allowed. */
  users?: Record<string, string>;
}

export interface RunningOpcuaSim {
  endpointUrl: string;
  server: OPCUAServer;
  /** Sets a variable's value as the device would (source timestamp now). */
  set(nodeId: string, value: VariantLike): void;
  get(nodeId: string): Variant;
  /** Method calls served so far, by method browse name. */
  calls: Record<string, number>;
  close(): Promise<void>;
}

/** Builtin types the sim has a scalar and an array variable of, with two initial values each. */
export const SIM_TYPES: Array<{ type: keyof typeof DataType; scalar: unknown; array: unknown[] }> = [
  { type: 'Boolean', scalar: true, array: [true, false, true] },
  { type: 'SByte', scalar: -12, array: [-128, 0, 127] },
  { type: 'Byte', scalar: 200, array: [0, 128, 255] },
  { type: 'Int16', scalar: -1234, array: [-32768, 1, 32767] },
  { type: 'UInt16', scalar: 54321, array: [0, 2, 65535] },
  { type: 'Int32', scalar: -123456789, array: [-2147483648, 3, 2147483647] },
  { type: 'UInt32', scalar: 4000000000, array: [0, 4, 4294967295] },
  // 2^53 + 1 and friends: exact only as [high, low] words.
  { type: 'Int64', scalar: [0xffdfffff, 0xffffffff], array: [[0x00200000, 1], [0, 5], [0x80000000, 0]] },
  { type: 'UInt64', scalar: [0x00200000, 1], array: [[0xffffffff, 0xffffffff], [0, 6], [0x00200000, 3]] },
  { type: 'Float', scalar: 1.5, array: [0.25, -2.5, 1024] },
  { type: 'Double', scalar: 2.718281828459045, array: [1e-300, -0.5, 1e300] },
  { type: 'String', scalar: 'hello', array: ['a', 'b c', 'äöü'] },
  { type: 'DateTime', scalar: new Date('2024-05-06T07:08:09.123Z'), array: [new Date('2000-01-01T00:00:00Z'), new Date('2030-12-31T23:59:59.999Z')] },
  { type: 'ByteString', scalar: Buffer.from([1, 2, 3, 254, 255]), array: [Buffer.from([0]), Buffer.from([9, 8])] },
];

export async function startOpcuaSimulator(options: OpcuaSimOptions): Promise<RunningOpcuaSim> {
  const tickMs = options.tickMs ?? 1000;
  const serverCertificateManager = new OPCUACertificateManager({
    rootFolder: join(options.pkiDir, 'server'),
    automaticallyAcceptUnknownCertificate: options.acceptUnknownClients ?? true,
  });
  const userCertificateManager = new OPCUACertificateManager({ rootFolder: join(options.pkiDir, 'server-users'), automaticallyAcceptUnknownCertificate: true });
  const users = options.users ?? {};
  const server = new OPCUAServer({
    port: options.port,
    hostname: options.host,
    resourcePath: options.resourcePath ?? '/OPCUA/SimulationServer',
    serverCertificateManager,
    userCertificateManager,
    buildInfo: { productName: 'edge-gateway opcua-sim', manufacturerName: 'edge-gateway' },
    securityModes: options.secure ? [MessageSecurityMode.None, MessageSecurityMode.Sign, MessageSecurityMode.SignAndEncrypt] : [MessageSecurityMode.None],
    securityPolicies: options.secure
      ? [SecurityPolicy.None, SecurityPolicy.Basic256Sha256, SecurityPolicy.Aes128_Sha256_RsaOaep, SecurityPolicy.Aes256_Sha256_RsaPss]
      : [SecurityPolicy.None],
    allowAnonymous: true,
    userManager: { isValidUser: (name: string, password: string) => users[name] !== undefined && users[name] === password },
    serverCapabilities: { maxSessions: 100, operationLimits: { maxNodesPerRead: 0, maxMonitoredItemsPerCall: 0 } },
  });
  await server.initialize();
  const addressSpace = server.engine.addressSpace!;
  const sim = addressSpace.registerNamespace(SIM_NAMESPACE); // ns=2
  const prosys = addressSpace.registerNamespace(PROSYS_NAMESPACE); // ns=3
  const objects = addressSpace.rootFolder.objects;
  const timers: NodeJS.Timeout[] = [];
  const byId = new Map<string, UAVariable>();
  const calls: Record<string, number> = {};

  /** dataType: a builtin type, or a DataType's name (`UtcTime`: a subtype of DateTime). */
  const variable = (ns: Namespace, parent: UAObject, nodeId: string, browseName: string, dataType: DataType | string, value: VariantLike, writable = true) => {
    const isArray = (value as { arrayType?: VariantArrayType }).arrayType === VariantArrayType.Array;
    const v = ns.addVariable({
      componentOf: parent,
      browseName,
      nodeId,
      dataType,
      valueRank: isArray ? 1 : -1,
      arrayDimensions: isArray ? [0] : undefined,
      accessLevel: writable ? 'CurrentRead | CurrentWrite' : 'CurrentRead',
      userAccessLevel: writable ? 'CurrentRead | CurrentWrite' : 'CurrentRead',
      minimumSamplingInterval: 0,
    });
    v.setValueFromSource(value as Variant);
    byId.set(v.nodeId.toString(), v);
    return v;
  };

  // --- ns=3: the Prosys simulation nodes of EdgeX's sample profile ---
  const simulation = prosys.addObject({ organizedBy: objects, browseName: 'Simulation', nodeId: 's=85/0:Simulation' });
  variable(prosys, simulation, 'i=1001', 'Constant', DataType.Double, { dataType: DataType.Double, value: 3.14 });
  const counter = variable(prosys, simulation, 'i=1002', 'Counter', DataType.Int32, { dataType: DataType.Int32, value: 0 }, false);
  const random = variable(prosys, simulation, 'i=1003', 'Random', DataType.Double, { dataType: DataType.Double, value: 0.5 }, false);

  // --- ns=2: every builtin type, scalar and array ---
  const scalars = sim.addObject({ organizedBy: objects, browseName: 'Scalar', nodeId: 's=Scalar' });
  const arrays = sim.addObject({ organizedBy: objects, browseName: 'Array', nodeId: 's=Array' });
  for (const { type, scalar, array } of SIM_TYPES) {
    const dataType = DataType[type];
    variable(sim, scalars, `s=Scalar.${type}`, type, dataType, { dataType, arrayType: VariantArrayType.Scalar, value: scalar });
    variable(sim, arrays, `s=Array.${type}`, type, dataType, { dataType, arrayType: VariantArrayType.Array, value: typedArray(dataType, array) });
  }
  // An AnalogItem with an EURange (0..200): what a percent deadband is taken of.
  const analog = sim.addAnalogDataItem({
    componentOf: scalars,
    browseName: 'Analog',
    nodeId: 's=Scalar.Analog',
    dataType: 'Double',
    engineeringUnitsRange: { low: 0, high: 200 },
    accessLevel: 'CurrentRead | CurrentWrite',
    userAccessLevel: 'CurrentRead | CurrentWrite',
    minimumSamplingInterval: 0,
  } as never);
  analog.setValueFromSource({ dataType: DataType.Double, value: 0 });
  // A subtype of DateTime, as many servers declare timestamps: written as a DateTime.
  variable(sim, scalars, 's=Scalar.UtcTime', 'UtcTime', 'UtcTime', { dataType: DataType.DateTime, value: new Date('2024-01-01T00:00:00Z') });
  variable(sim, scalars, 's=Scalar.LocalizedText', 'LocalizedText', DataType.LocalizedText, {
    dataType: DataType.LocalizedText,
    value: new LocalizedText({ text: 'Ofen', locale: 'de' }),
  });

  // --- ns=2: a small oven for the sample profile ---
  const line = sim.addObject({ organizedBy: objects, browseName: 'Line1', nodeId: 's=Line1' });
  const oven = sim.addObject({ componentOf: line, browseName: 'Oven', nodeId: 's=Line1.Oven' });
  const temperature = variable(sim, oven, 's=Line1.Oven.Temperature', 'Temperature', DataType.Double, { dataType: DataType.Double, value: 20 }, false);
  const setpoint = variable(sim, oven, 's=Line1.Oven.Setpoint', 'Setpoint', DataType.Double, { dataType: DataType.Double, value: 180 });
  const running = variable(sim, oven, 's=Line1.Oven.Running', 'Running', DataType.Boolean, { dataType: DataType.Boolean, value: true });
  const cycles = variable(sim, oven, 's=Line1.Oven.Cycles', 'Cycles', DataType.UInt64, { dataType: DataType.UInt64, arrayType: VariantArrayType.Scalar, value: [0, 0] }, false);

  // --- ns=2: methods ---
  const methods = sim.addObject({ organizedBy: objects, browseName: 'Methods', nodeId: 's=Methods' });
  /** An input declared `Number` (abstract) takes any numeric type; the others exactly theirs. */
  const accepts = (declared: DataType | 'Number', given: DataType) =>
    declared === 'Number' ? [DataType.SByte, DataType.Byte, DataType.Int16, DataType.UInt16, DataType.Int32, DataType.UInt32, DataType.Int64, DataType.UInt64, DataType.Float, DataType.Double].includes(given) : given === declared;
  const method = (name: string, inputs: Array<[string, DataType | 'Number']>, output: DataType, run: (args: Variant[]) => unknown) => {
    const m = sim.addMethod(methods, {
      browseName: name,
      nodeId: `s=Methods.${name}`,
      inputArguments: inputs.map(([n, dataType]) => ({ name: n, dataType, valueRank: -1, description: n })),
      outputArguments: [{ name: 'result', dataType: output, valueRank: -1, description: 'result' }],
    });
    m.bindMethod(async (args: Variant[], _context: unknown) => {
      calls[name] = (calls[name] ?? 0) + 1;
      if (args.some((a, i) => !accepts(inputs[i][1], a.dataType))) return { statusCode: StatusCodes.BadTypeMismatch };
      return { statusCode: StatusCodes.Good, outputArguments: [{ dataType: output, arrayType: VariantArrayType.Scalar, value: run(args) }] };
    });
  };
  method('Add', [['a', DataType.Int32], ['b', DataType.Int32]], DataType.Int32, ([a, b]) => (a.value as number) + (b.value as number));
  method('AddBig', [['a', DataType.Int64], ['b', DataType.Int64]], DataType.Int64, ([a, b]) => {
    const big = (w: [number, number]) => BigInt.asIntN(64, (BigInt(w[0]) << 32n) | BigInt(w[1]));
    const sum = BigInt.asUintN(64, big(a.value as [number, number]) + big(b.value as [number, number]));
    return [Number(sum >> 32n), Number(sum & 0xffffffffn)];
  });
  method('Echo', [['text', DataType.String]], DataType.String, ([t]) => `echo: ${t.value as string}`);
  method('Scale', [['x', DataType.Double], ['factor', DataType.Double]], DataType.Double, ([x, f]) => (x.value as number) * (f.value as number));
  method('Twice', [['x', 'Number']], DataType.Double, ([x]) => Number(x.value) * 2);

  // --- ns=2: bench variables ---
  const bench: UAVariable[] = [];
  if (options.benchItems) {
    const folder = sim.addObject({ organizedBy: objects, browseName: 'Bench', nodeId: 's=Bench' });
    for (let i = 0; i < options.benchItems; i++) {
      bench.push(variable(sim, folder, `s=Bench.${i}`, `B${i}`, DataType.Double, { dataType: DataType.Double, value: 0 }, false));
    }
  }

  let tick = 0;
  timers.push(
    setInterval(() => {
      tick++;
      counter.setValueFromSource({ dataType: DataType.Int32, value: tick });
      random.setValueFromSource({ dataType: DataType.Double, value: Math.random() });
      const on = running.readValue().value.value as boolean;
      const target = on ? (setpoint.readValue().value.value as number) : 20;
      const t = temperature.readValue().value.value as number;
      temperature.setValueFromSource({ dataType: DataType.Double, value: Math.round((t + (target - t) * 0.1) * 100) / 100 });
      if (on) cycles.setValueFromSource({ dataType: DataType.UInt64, arrayType: VariantArrayType.Scalar, value: [0, tick] });
      for (const v of bench) v.setValueFromSource({ dataType: DataType.Double, value: tick });
    }, tickMs),
  );

  await server.start();
  const endpointUrl = server.getEndpointUrl();
  return {
    endpointUrl,
    server,
    calls,
    set(nodeId, value) {
      const v = byId.get(nodeId) ?? (addressSpace.findNode(nodeId) as UAVariable | null);
      if (!v) throw new Error(`opcua-sim: no variable ${nodeId}`);
      v.setValueFromSource(value as Variant);
    },
    get(nodeId) {
      const v = byId.get(nodeId) ?? (addressSpace.findNode(nodeId) as UAVariable | null);
      if (!v) throw new Error(`opcua-sim: no variable ${nodeId}`);
      return v.readValue().value;
    },
    async close() {
      for (const t of timers) clearInterval(t);
      await server.shutdown(0);
      await serverCertificateManager.dispose();
      await userCertificateManager.dispose();
    },
  };
}
