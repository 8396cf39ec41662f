import { ManualClock, settle } from '@gw/contracts';
import type { ReportDeviceStatusRequest } from './dmi-types';
import { TwinReporter } from './twin-reporter';

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const request = (value: string): ReportDeviceStatusRequest => ({
  deviceName: 'boiler',
  deviceNamespace: 'plant',
  reportedDevice: { twins: [{ propertyName: 'temperature', reported: { value }, observedDesired: { value: '' } }] },
});
const valueOf = (r: ReportDeviceStatusRequest): string => r.reportedDevice.twins![0].reported!.value ?? '';

describe('twin reports to edgecore', () => {
  it('sends a device at most once per report cycle, with the latest values when the cycle has passed', async () => {
    const clock = new ManualClock();
    const sent: ReportDeviceStatusRequest[] = [];
    const reporter = new TwinReporter(async (r) => void sent.push(r), silent, clock);
    reporter.touch('plant/boiler', () => request('20'), 1000);
    await settle();
    expect(sent.map(valueOf)).toEqual(['20']);
    reporter.touch('plant/boiler', () => request('21'), 1000);
    reporter.touch('plant/boiler', () => request('22'), 1000);
    await clock.advance(999);
    expect(sent.map(valueOf)).toEqual(['20']);
    await clock.advance(1);
    await reporter.drained();
    expect(sent.map(valueOf)).toEqual(['20', '22']);
    expect(reporter.stats()).toEqual({ reported: 2, failed: 0, pending: 0 });
  });

  it('counts a refused report and sends the next values all the same; a forgotten device is not sent', async () => {
    const clock = new ManualClock();
    const sent: string[] = [];
    let refuse = true;
    const reporter = new TwinReporter(
      async (r) => {
        if (refuse) throw new Error('too many requests');
        sent.push(valueOf(r));
      },
      silent,
      clock,
    );
    reporter.touch('plant/boiler', () => request('20'), 100);
    await reporter.drained();
    refuse = false;
    reporter.touch('plant/boiler', () => request('21'), 100);
    await clock.advance(100);
    await reporter.drained();
    expect(sent).toEqual(['21']);
    reporter.touch('plant/boiler', () => request('22'), 100);
    reporter.forget('plant/boiler');
    await clock.advance(100);
    expect(sent).toEqual(['21']);
    expect(reporter.stats()).toMatchObject({ reported: 1, failed: 1, pending: 0 });
  });
});
