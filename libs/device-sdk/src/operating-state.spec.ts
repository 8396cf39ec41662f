import { Device, ErrorKind, GatewayError, ManualClock, settle } from '@gw/contracts';
import { OperatingStateTracker } from './operating-state';

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const device = (operatingState: Device['operatingState']): Device => ({ name: 'D', adminState: 'UNLOCKED', operatingState, protocols: {} });
const offline = new GatewayError(ErrorKind.Communication, 'no answer');

function setup(patch: (p: { name: string; operatingState?: string }) => Promise<void> = async () => undefined) {
  const patches: string[] = [];
  const clock = new ManualClock();
  const tracker = new OperatingStateTracker(
    { patchDevice: (p) => (patches.push(String(p.operatingState)), patch(p)) },
    silent,
    clock,
    3,
  );
  tracker.observed(device('UP'));
  return { tracker, patches, clock };
}

describe('OperatingStateTracker', () => {
  it('goes DOWN after allowedFails consecutive failures, reports once, and UP at the next answer', async () => {
    const { tracker, patches } = setup();
    tracker.failed('D', offline);
    tracker.failed('D', offline);
    expect(tracker.state('D')).toBe('UP');
    tracker.succeeded('D'); // resets the count
    tracker.failed('D', offline);
    tracker.failed('D', offline);
    expect(patches).toEqual([]);
    tracker.failed('D', offline);
    tracker.failed('D', offline);
    expect(tracker.state('D')).toBe('DOWN');
    await settle();
    expect(patches).toEqual(['DOWN']);
    tracker.succeeded('D');
    await settle();
    expect(tracker.state('D')).toBe('UP');
    expect(patches).toEqual(['DOWN', 'UP']);
  });

  it('does not count configuration errors as device failures', () => {
    const { tracker } = setup();
    for (let i = 0; i < 5; i++) tracker.failed('D', new GatewayError(ErrorKind.ContractInvalid, 'bad attribute'));
    expect(tracker.state('D')).toBe('UP');
  });

  it('goes DOWN at once on a failed assertion', () => {
    const { tracker } = setup();
    tracker.assertionFailed('D', 'expected OK');
    expect(tracker.state('D')).toBe('DOWN');
  });

  it('ignores the echo of an older report while a newer one is on its way, then reports the newest state', async () => {
    let release!: () => void;
    const { tracker, patches } = setup(() => new Promise<void>((resolve) => (release = resolve)));
    tracker.assertionFailed('D', 'x'); // DOWN, report pending
    tracker.succeeded('D'); // UP while DOWN is still being reported
    tracker.observed(device('DOWN')); // metadata's echo of the DOWN report
    expect(tracker.state('D')).toBe('UP');
    release();
    await settle();
    expect(patches).toEqual(['DOWN', 'UP']);
    release();
    await settle();
    tracker.observed(device('UP'));
    expect(tracker.state('D')).toBe('UP');
  });

  it('retries a report that metadata did not take', async () => {
    let fail = true;
    const { tracker, patches, clock } = setup(async () => {
      if (fail) throw new GatewayError(ErrorKind.Communication, 'metadata away');
    });
    tracker.assertionFailed('D', 'x');
    await settle();
    expect(patches).toEqual(['DOWN']);
    fail = false;
    tracker.failed('D', offline); // too soon to retry
    await settle();
    expect(patches).toEqual(['DOWN']);
    await clock.advance(5_000);
    tracker.failed('D', offline);
    await settle();
    expect(patches).toEqual(['DOWN', 'DOWN']);
  });
});
