/**
 * The shipped Modbus sample as a newcomer uses it: the one-process gateway
 * (`npm start`) hosting device-modbus, the Energy-Meter-Modbus profile of
 * ./resources and the device file of resources/examples/device-modbus,
 * against the simulator of `npm run modbus-sim`.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunningGateway, startGateway } from '../../apps/gateway/src/gateway';
import { RunningSimulator, startSimulator } from '../../apps/modbus-sim/src/simulator';
import { EventRecorder } from '../support/event-recorder';
import { call, RESOURCES, testGatewayConfig } from '../support/gateway';
import { quietLogger } from '../support/quiet-logger';

describe('Modbus sample: energy meter simulator through the gateway', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-modbus-sample-'));
  const events = new EventRecorder();
  let simulator: RunningSimulator;
  let gateway: RunningGateway;
  let meter: string;

  beforeAll(async () => {
    simulator = await startSimulator({ host: '127.0.0.1', port: 0, unitId: 1 }, quietLogger('modbus-sim'));
    // The sample device file as shipped, pointed at the simulator's free port.
    const sample = readFileSync(join(RESOURCES, 'examples/device-modbus/energy-meter.devices.yaml'), 'utf8');
    expect(sample).toContain('Port: 1502');
    mkdirSync(join(dir, 'devices/device-modbus'), { recursive: true });
    writeFileSync(join(dir, 'devices/device-modbus/energy-meter.devices.yaml'), sample.replace('Port: 1502', `Port: ${simulator.port}`));

    const config = testGatewayConfig(dir, {
      GW_DEVICE_SERVICES: 'modbus',
      GW_APP_SERVICE: 'false',
      GW_DEVICES_DIR: join(dir, 'devices'),
    });
    gateway = await startGateway(config, quietLogger('gateway'));
    await gateway.bus.subscribe('edgex/events/device/device-modbus/Energy-Meter-Modbus/Energy-Meter-01/#', events.handler);
    meter = gateway.coreCommand.url + '/api/v3/device/name/Energy-Meter-01';
  });

  afterAll(async () => {
    await gateway?.close();
    await simulator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('polls both autoEvent sources of the sample device and stores their readings', async () => {
    await events.waitFor(2, 10_000);
    const sources = events.received.map((r) => (r.envelope.payload as { event: { sourceName: string } }).event.sourceName);
    expect(sources).toEqual(expect.arrayContaining(['Voltages', 'Power']));
    const stored = await call('GET', `${gateway.coreData.url}/api/v3/reading/device/name/Energy-Meter-01/resourceName/VoltageL1`);
    expect(stored.status).toBe(200);
  });

  it('decodes the meter map: word-swapped floats, scaled frequency, counter, bit', async () => {
    const get = await call('GET', `${meter}/Power`);
    expect(get.status).toBe(200);
    const value = Object.fromEntries(get.body.event.readings.map((r: { resourceName: string; value: string }) => [r.resourceName, r.value]));
    expect(Number(value.CurrentL1)).toBeGreaterThan(10);
    expect(Number(value.Frequency)).toBeCloseTo(50, 0);
    expect(Number(value.EnergyImported)).toBeGreaterThanOrEqual(125_000);
    expect(value.Alarm).toBe('false');
    const volts = await call('GET', `${meter}/Voltages`);
    for (const reading of volts.body.event.readings) expect(Number(reading.value)).toBeCloseTo(230, -1);
  });

  it('switches the relay and sets the limit through core-command, refusing a limit out of range', async () => {
    expect((await call('PUT', `${meter}/Relay`, { Relay: 'false' })).status).toBe(200);
    expect(simulator.meter.state.relay).toBe(false);
    const power = await call('GET', `${meter}/Power`);
    expect(Number(power.body.event.readings.find((r: { resourceName: string }) => r.resourceName === 'CurrentL1').value)).toBe(0);

    expect((await call('PUT', `${meter}/CurrentLimit`, { CurrentLimit: '20' })).status).toBe(200);
    expect(simulator.meter.state.currentLimit).toBe(20);
    const tooHigh = await call('PUT', `${meter}/CurrentLimit`, { CurrentLimit: '250' });
    expect(tooHigh.status).toBe(400);
    expect(tooHigh.body.message).toMatch(/CurrentLimit/);
    expect(simulator.meter.state.currentLimit).toBe(20);
  });
});
