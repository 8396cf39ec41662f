/**
 * A device service's GET /api/v3/metrics: reads, failed reads, read latency
 * and skipped autoEvent ticks per device (only devices it holds: a removed
 * device's series go), and the events it published.
 */
import { pollUntil } from '../messaging/helpers';
import { scrape, Scrape, series } from '../support/prometheus';
import { Gate } from './fake-driver';
import { bootHarness, Harness, testDevice } from './harness';

describe('device service metrics', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await bootHarness();
  });

  afterAll(async () => {
    await h?.close();
  });

  const metrics = () => scrape(h.service.url);
  const of = (samples: Scrape, name: string, device: string) => samples[`${name}{device="${device}"}`];
  const reads = (samples: Scrape, device: string) => of(samples, 'gw_device_read_duration_seconds_count', device) ?? 0;
  const addDevice = async (name: string, extra: Record<string, unknown> = {}) => {
    const reply = await h.rest.batch('POST', '/device', 'device', [testDevice(h.serviceName, name, extra)]);
    expect(reply.body[0]).toMatchObject({ statusCode: 201 });
    await pollUntil(() => h.service.deviceNames().includes(name), `${name} known to the device service`);
  };

  it('counts reads per device, autoEvents and commands alike, with their latency, and the events published', async () => {
    h.driver.set('Polled', 'Temperature', 200);
    h.driver.set('OnDemand', 'Temperature', 210);
    await addDevice('OnDemand');
    const before = await metrics();
    await addDevice('Polled', { autoEvents: [{ interval: '20ms', sourceName: 'Temperature' }] });
    await pollUntil(async () => reads(await metrics(), 'Polled') >= 3, 'three polls of Polled counted');
    expect((await h.api.get('/device/name/OnDemand/Temperature')).status).toBe(200);

    const after = await metrics();
    expect(reads(after, 'OnDemand')).toBe(1);
    expect(of(after, 'gw_device_read_errors_total', 'Polled')).toBe(0);
    expect(after['gw_device_read_duration_seconds_bucket{le="+Inf",device="Polled"}']).toBe(reads(after, 'Polled'));
    expect(after.gw_device_events_published_total - before.gw_device_events_published_total).toBeGreaterThanOrEqual(3);
    expect(after).toMatchObject({ gw_device_devices: 2, gw_device_autoevent_devices: 1, gw_device_events_dropped_total: 0 });
    expect(after[`gw_bus_published_total{service="${h.serviceName}"}`]).toBeGreaterThanOrEqual(3);
  });

  it('counts failed reads per device', async () => {
    h.driver.failures.set('Polled', 2);
    await pollUntil(async () => of(await metrics(), 'gw_device_read_errors_total', 'Polled') === 2, 'two failed reads of Polled');
    expect(of(await metrics(), 'gw_device_read_errors_total', 'OnDemand')).toBe(0);
  });

  it('counts autoEvent ticks skipped while the device is still answering', async () => {
    const gate = new Gate();
    const skipped = of(await metrics(), 'gw_device_autoevent_skipped_ticks_total', 'Polled');
    h.driver.gate = gate.promise;
    await pollUntil(async () => of(await metrics(), 'gw_device_autoevent_skipped_ticks_total', 'Polled') >= skipped + 3, 'three skipped ticks of Polled');
    const held = reads(await metrics(), 'Polled');
    h.driver.gate = undefined;
    gate.open();
    await pollUntil(async () => reads(await metrics(), 'Polled') > held, 'the held read counted');
    // The slow read shows in the latency: at least three 20 ms intervals long.
    const samples = await metrics();
    expect(samples['gw_device_read_duration_seconds_bucket{le="0.05",device="Polled"}']).toBeLessThan(reads(samples, 'Polled'));
  });

  it("drops a device's series when the device is removed from core-metadata", async () => {
    expect((await h.rest.delete('/device/name/Polled')).status).toBe(200);
    await pollUntil(() => !h.service.deviceNames().includes('Polled'), 'Polled removed');
    const samples = await metrics();
    expect(Object.keys(samples).filter((key) => key.includes('device="Polled"'))).toEqual([]);
    expect(Object.keys(series(samples, 'gw_device_read_errors_total'))).toEqual(['gw_device_read_errors_total{device="OnDemand"}']);
    expect(samples.gw_device_autoevent_devices).toBe(0);
  });
});
