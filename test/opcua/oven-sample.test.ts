/**
 * The sample OPC UA profile and device file the README walks through
 * (resources/profiles/Oven-OPCUA.profile.yaml, resources/examples/device-opcua/
 * oven.devices.yaml) against apps/opcua-sim, as `npm run opcua-sim` serves
 * them: only the Endpoint's port is the test server's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDeviceList, parseDeviceProfile } from '@gw/contracts';
import type { OpcuaDriver } from '@gw/drivers/opcua';
import type { RunningOpcuaSim } from '../../apps/opcua-sim/src/simulator';
import { requestsFor, writesFor } from '../drivers/driver-conformance';
import { RESOURCES } from '../support/gateway';
import { RecordingContext, startedDriver, startSim } from './support';

describe('the sample oven profile and device against opcua-sim', () => {
  let sim: RunningOpcuaSim;
  let driver: OpcuaDriver;
  let context: RecordingContext;
  const profile = parseDeviceProfile(readFileSync(join(RESOURCES, 'profiles/Oven-OPCUA.profile.yaml'), 'utf8'));
  const [sample] = parseDeviceList(readFileSync(join(RESOURCES, 'examples/device-opcua/oven.devices.yaml'), 'utf8'));

  beforeAll(async () => {
    sim = await startSim({ host: 'localhost', tickMs: 100 });
    ({ driver, context } = await startedDriver());
  });

  afterAll(async () => {
    await driver?.stop(false);
    await sim?.close();
  });

  it('reads, writes, calls its method and monitors its autoEvents', async () => {
    const endpoint = new URL(sample.protocols.opcua.Endpoint as string);
    endpoint.port = new URL(sim.endpointUrl).port;
    const device = { ...sample, protocols: { opcua: { ...sample.protocols.opcua, Endpoint: endpoint.toString() } } };
    await driver.addDevice(device, profile);
    const read = async (names: string[]) => (await driver.read(device, profile, requestsFor(profile, names))).map((r) => r.value);

    expect(await read(['Setpoint', 'Running', 'SetpointPlus10'])).toEqual([180, true, 180]);
    expect(typeof (await read(['Cycles']))[0]).toBe('bigint');
    await driver.write(device, profile, writesFor(profile, { Setpoint: 200, Running: false }));
    expect(await read(['Setpoint', 'Running'])).toEqual([200, false]);

    expect(device.autoEvents!.every((a) => driver.monitorsAutoEvent(device, profile, a))).toBe(true);
    const status = await context.until((p) => p.find((x) => x.deviceName === 'Oven-01' && x.sourceName === 'Status'));
    expect(status.values.map((v) => v.resourceName)).toEqual(['Temperature', 'Running']);
    await context.until((p) => p.find((x) => x.deviceName === 'Oven-01' && x.sourceName === 'Cycles'));
  });
});
