/**
 * Desired state from a cloud twin to an actuator and back, through the
 * one-process gateway as `npm start` runs it: the AWS shadow emulator on the
 * machine's Mosquitto sets a desired Fan state; the app service's shadow sink
 * gets the delta, checks it against the profile, writes it through
 * core-command to the virtual Demo-Sensor-01, reads it back and reports it.
 * Telemetry of the same device keeps the shadow's reported state current.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunningGateway, startGateway } from '../../apps/gateway/src/gateway';
import { testGatewayConfig } from '../support/gateway';
import { quietLogger } from '../support/quiet-logger';
import { AwsShadowEmulator } from './support/aws-shadow-emulator';

const RUN = `gwtwin-${randomBytes(4).toString('hex')}`;
const THING = `${RUN}-Demo-Sensor-01`;

describe('cloud twin round trip through the gateway (AWS shadow emulator)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-twin-'));
  let emulator: AwsShadowEmulator;
  let gateway: RunningGateway;

  beforeAll(async () => {
    emulator = await AwsShadowEmulator.start({ owns: (thing) => thing.startsWith(RUN) });
    const pipelines = join(dir, 'pipelines.yaml');
    writeFileSync(
      pipelines,
      [
        'sinks:',
        '  - name: shadow',
        '    type: aws-shadow',
        '    url: mqtt://127.0.0.1:1883',
        `    clientId: ${RUN}-gateway`,
        `    thingName: "${RUN}-{device}"`,
        '    devices: "^Demo-Sensor-01$"',
        '    tls: { rejectUnauthorized: true }',
        'pipelines:',
        '  - name: state',
        '    transform: twin',
        '    filters: [{ device: Demo-Sensor-01 }]',
        '    sinks: [shadow]',
      ].join('\n'),
    );
    const config = testGatewayConfig(dir, { GW_DEVICE_SERVICES: 'virtual', GW_PIPELINES_FILE: pipelines });
    gateway = await startGateway(config, quietLogger('gateway'));
  });

  afterAll(async () => {
    await gateway?.close();
    await emulator?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports the latest readings of the device as shadow state', async () => {
    const shadow = await emulator.waitForReported(THING, (r) => typeof r.Temperature === 'number' && typeof r.Humidity === 'number', { timeoutMs: 10_000 });
    expect(shadow.version).toBeGreaterThanOrEqual(1);
  });

  it('applies a desired value to the actuator and reports what the device reads back', async () => {
    for (const fan of [true, false]) {
      await emulator.setDesired(THING, { Fan: fan });
      const shadow = await emulator.waitForReported(THING, (r) => r.Fan === fan, { timeoutMs: 10_000 });
      expect(shadow.state.delta?.Fan).toBeUndefined();
      // The device itself says so, through core-command.
      const read = await fetch(`${gateway.coreCommand.url}/api/v3/device/name/Demo-Sensor-01/Fan`).then((r) => r.json() as Promise<any>);
      expect(read.event.readings[0].value).toBe(String(fan));
    }
  });

  it('reports a refused desired value with its reason and leaves the device alone', async () => {
    await emulator.setDesired(THING, { Temperature: 99 });
    const shadow = await emulator.waitForReported(THING, (r) => typeof (r.gatewayErrors as Record<string, unknown> | undefined)?.Temperature === 'object', {
      timeoutMs: 10_000,
    });
    expect((shadow.state.reported!.gatewayErrors as Record<string, { status: number; message: string }>).Temperature).toMatchObject({
      status: 405,
      message: expect.stringMatching(/read-only/),
    });
  });
});
