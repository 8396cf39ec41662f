import { Device, Event, ManualClock, validateDeviceProfile } from '@gw/contracts';
import type { CommandExecutor, SourceOutcome } from './command-executor';
import { DeviceRegistry } from './device-registry';
import type { EventPublisher } from './event-publisher';
import { OnChangeFilter } from './on-change-filter';
import { ProfileView, Source } from './profile-view';
import { AutoEventScheduler, hashedPhase, SchedulerOptions } from './scheduler';

const profile = validateDeviceProfile({
  name: 'P',
  deviceResources: ['A', 'B', 'C'].map((name) => ({ name, properties: { valueType: 'Int32', readWrite: 'R' } })),
});
const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

function setup(
  autoEvents: Device['autoEvents'],
  readMs = 0,
  adminState: Device['adminState'] = 'UNLOCKED',
  monitoredByDriver?: SchedulerOptions['monitoredByDriver'],
) {
  const clock = new ManualClock();
  const registry = new DeviceRegistry('svc');
  registry.setProfile(new ProfileView(profile));
  registry.setDevice({ name: 'D', profileName: 'P', adminState, operatingState: 'UP', protocols: {}, autoEvents });
  const calls: Array<{ at: number; sources: string[] }> = [];
  const executor = {
    readSources: (_device: Device, _view: ProfileView, sources: Source[]) => {
      calls.push({ at: clock.monotonicMs(), sources: sources.map((s) => s.name) });
      const outcomes: SourceOutcome[] = sources.map((source) => ({ source, event: { sourceName: source.name, readings: [] } as unknown as Event }));
      return new Promise<SourceOutcome[]>((resolve) => clock.setTimer(() => resolve(outcomes), readMs));
    },
  } as unknown as CommandExecutor;
  const published: Event[] = [];
  const publisher = { publish: (event: Event) => published.push(event) } as unknown as EventPublisher;
  const scheduler = new AutoEventScheduler(registry, executor, publisher, new OnChangeFilter(), clock, silent, {
    phaseOf: (_, interval) => interval,
    monitoredByDriver,
  });
  return { clock, registry, scheduler, calls, published };
}

describe('AutoEventScheduler', () => {
  it('reads autoEvents that fall due together in one driver call, on a grid that does not drift', async () => {
    const { clock, scheduler, calls, published } = setup(
      [
        { interval: '100ms', sourceName: 'A', onChange: false },
        { interval: '100ms', sourceName: 'B', onChange: false },
        { interval: '200ms', sourceName: 'C', onChange: false },
      ],
      30,
    );
    scheduler.start();
    await clock.advance(1000);
    expect(calls.map((c) => c.at)).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    expect(calls[0].sources).toEqual(['A', 'B']);
    expect(calls[1].sources).toEqual(['A', 'B', 'C']);
    // Nine reads answered (the one started at 1000 takes 30 ms more): A and B each time, C every other time.
    expect(published.length).toBe(9 * 2 + 4);
    expect(scheduler.stats()).toMatchObject({ devices: 1, reads: 10, skipped: 0, failures: 0 });
    scheduler.stop();
  });

  it('skips and counts ticks while a slow read is still running instead of queueing them', async () => {
    const { clock, scheduler, calls } = setup([{ interval: '100ms', sourceName: 'A', onChange: false }], 350);
    scheduler.start();
    await clock.advance(1000);
    // Reads at 100 (busy until 450), 500 (until 850), 900; the ticks in between are skipped.
    expect(calls.map((c) => c.at)).toEqual([100, 500, 900]);
    expect(scheduler.stats().skipped).toBe(7);
    scheduler.stop();
    expect(clock.pending).toBeLessThanOrEqual(1); // only the last read's answer is still pending
  });

  it('runs nothing for a LOCKED device, and starts when it is unlocked', async () => {
    const { clock, registry, scheduler, calls } = setup([{ interval: '100ms', sourceName: 'A', onChange: false }], 0, 'LOCKED');
    scheduler.start();
    await clock.advance(500);
    expect(calls).toHaveLength(0);
    expect(scheduler.stats().devices).toBe(0);

    registry.setDevice({ ...registry.device('D')!, adminState: 'UNLOCKED' });
    scheduler.sync('D');
    await clock.advance(300);
    expect(calls.map((c) => c.at)).toEqual([600, 700, 800]);
    scheduler.stop();
  });

  it('keeps the phase when an unrelated field changes, and stops when the device goes', async () => {
    const { clock, registry, scheduler, calls } = setup([{ interval: '100ms', sourceName: 'A', onChange: false }]);
    scheduler.start();
    await clock.advance(150);
    registry.setDevice({ ...registry.device('D')!, operatingState: 'DOWN', labels: ['x'] });
    scheduler.sync('D');
    await clock.advance(100);
    expect(calls.map((c) => c.at)).toEqual([100, 200]);

    registry.removeDevice('D');
    scheduler.sync('D');
    expect(scheduler.stats().devices).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('ignores an autoEvent whose source is missing or write-only, keeping the others', async () => {
    const { clock, scheduler, calls } = setup([
      { interval: '100ms', sourceName: 'Nope', onChange: false },
      { interval: '100ms', sourceName: 'A', onChange: false },
    ]);
    scheduler.start();
    await clock.advance(100);
    expect(calls).toEqual([{ at: 100, sources: ['A'] }]);
    scheduler.stop();
  });
});

describe('AutoEventScheduler with a driver that watches autoEvents itself', () => {
  it('polls only the autoEvents the driver does not monitor, and counts the others', async () => {
    const asked: string[] = [];
    const { clock, scheduler, calls } = setup(
      [
        { interval: '100ms', sourceName: 'A', onChange: false },
        { interval: '100ms', sourceName: 'B', onChange: true },
      ],
      0,
      'UNLOCKED',
      (device, profile, autoEvent) => {
        asked.push(`${device.name}/${profile.name}/${autoEvent.sourceName}`);
        return autoEvent.sourceName === 'B';
      },
    );
    scheduler.start();
    await clock.advance(300);
    expect(asked).toEqual(['D/P/A', 'D/P/B']);
    expect(calls.map((c) => c.sources)).toEqual([['A'], ['A'], ['A']]);
    expect(scheduler.stats()).toMatchObject({ devices: 1, monitored: 1, reads: 3 });
    scheduler.stop();
    expect(scheduler.stats().monitored).toBe(0);
  });

  it('runs no timer for a device whose autoEvents are all monitored, and forgets them when it is locked or removed', async () => {
    const { clock, registry, scheduler, calls } = setup(
      [
        { interval: '100ms', sourceName: 'A', onChange: false },
        { interval: '1s', sourceName: 'C', onChange: false },
      ],
      0,
      'UNLOCKED',
      () => true,
    );
    scheduler.start();
    await clock.advance(2000);
    expect(calls).toHaveLength(0);
    expect(clock.pending).toBe(0);
    expect(scheduler.stats()).toMatchObject({ devices: 0, monitored: 2 });

    registry.setDevice({ ...registry.device('D')!, adminState: 'LOCKED' });
    scheduler.sync('D');
    expect(scheduler.stats().monitored).toBe(0);
    registry.setDevice({ ...registry.device('D')!, adminState: 'UNLOCKED' });
    scheduler.sync('D');
    expect(scheduler.stats().monitored).toBe(2);
    registry.removeDevice('D');
    scheduler.sync('D');
    expect(scheduler.stats().monitored).toBe(0);
  });
});

describe('hashedPhase', () => {
  it('spreads devices over the interval, the same way at every start', () => {
    const phases = Array.from({ length: 1000 }, (_, i) => hashedPhase(`D${i}`, 100));
    expect(Math.min(...phases)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...phases)).toBeLessThan(100);
    const buckets = new Array(10).fill(0);
    for (const p of phases) buckets[Math.floor(p / 10)]++;
    for (const count of buckets) expect(count).toBeGreaterThan(50); // about 100 each
    expect(hashedPhase('D1', 100)).toBe(phases[1]);
  });
});
