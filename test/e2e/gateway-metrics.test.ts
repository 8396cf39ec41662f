/**
 * The one-process gateway serves GET /api/v3/metrics on every service's port,
 * behind the API key: Node's figures once per process shared by all (no
 * "already registered"), each service's own series, the bus under its name.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunningGateway, startGateway } from '../../apps/gateway/src/gateway';
import { testGatewayConfig } from '../support/gateway';
import { scrape } from '../support/prometheus';
import { quietLogger } from '../support/quiet-logger';

const KEY = 'gateway-metrics-key';

describe('one-process gateway metrics', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-metrics-'));
  let gateway: RunningGateway;
  const auth = { authorization: `Bearer ${KEY}` };

  beforeAll(async () => {
    gateway = await startGateway(testGatewayConfig(dataDir, { GW_API_KEY: KEY }), quietLogger('gateway'));
  });

  afterAll(async () => {
    await gateway?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const services = () => ({
    'core-metadata': gateway.metadata.url,
    'core-data': gateway.coreData.url,
    'core-command': gateway.coreCommand.url,
    'app-service': gateway.appService!.url,
    ...Object.fromEntries(Object.entries(gateway.deviceServices).map(([name, service]) => [name, service.url])),
  });

  it("serves every service's metrics on its own port, behind the API key, with the process's figures and its bus", async () => {
    expect(Object.keys(services())).toEqual(expect.arrayContaining(['device-virtual']));
    for (const [name, url] of Object.entries(services())) {
      expect({ name, status: (await fetch(`${url}/api/v3/metrics`)).status }).toEqual({ name, status: 401 });
      const samples = await scrape(url, auth);
      expect({ name, cpu: samples.process_cpu_user_seconds_total > 0, bus: samples[`gw_bus_connected{service="${name}"}`] }).toEqual({ name, cpu: true, bus: 1 });
    }
  });

  it("shows a command in core-command's and the device service's series, and each service's own series on its port", async () => {
    const virtual = gateway.deviceServices['device-virtual'].url;
    const before = { command: await scrape(gateway.coreCommand.url, auth), device: await scrape(virtual, auth) };
    const res = await fetch(`${gateway.coreCommand.url}/api/v3/device/name/Demo-Sensor-01/Climate`, { headers: auth });
    expect(res.status).toBe(200);

    const command = await scrape(gateway.coreCommand.url, auth);
    const commands = (s: typeof command) => s['gw_core_command_duration_seconds_count{method="get",status="200"}'] ?? 0;
    expect(commands(command) - commands(before.command)).toBe(1);
    const device = await scrape(virtual, auth);
    const reads = (s: typeof device) => s['gw_device_read_duration_seconds_count{device="Demo-Sensor-01"}'] ?? 0;
    expect(reads(device) - reads(before.device)).toBeGreaterThanOrEqual(1);
    expect(device['gw_device_read_errors_total{device="Demo-Sensor-01"}']).toBe(0);

    const metadata = await scrape(gateway.metadata.url, auth);
    expect(metadata.gw_metadata_devices).toBeGreaterThanOrEqual(2);
    expect(metadata['gw_http_request_duration_seconds_count{method="GET",route="/api/v3/device/name/:name",status="200"}']).toBeGreaterThanOrEqual(1);
    const coreData = await scrape(gateway.coreData.url, auth);
    expect(coreData).toHaveProperty('gw_core_data_events_persisted_total');
    expect(await scrape(gateway.appService!.url, auth)).toHaveProperty(['gw_outbox_commits_total']);
  });
});
