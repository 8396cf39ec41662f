import { Device, ErrorKind, GatewayError, ManualClock, SystemEvent } from '@gw/contracts';
import { DeviceDirectory, DirectoryPort } from './device-directory';

const device = (name: string, profileName = 'P', serviceName = 'S', id = `id-${name}`): Device => ({ id, name, profileName, serviceName, adminState: 'UNLOCKED', operatingState: 'UP', protocols: {} }) as Device;

const systemEvent = (action: 'add' | 'update' | 'delete', details: Device): SystemEvent => ({
  apiVersion: 'v3',
  type: 'device',
  action,
  source: 'core-metadata',
  owner: details.serviceName ?? '',
  details,
  timestamp: 0,
});

/** core-metadata as the directory sees it: a list of devices, and a count of the requests it got. */
class FakeMetadata implements DirectoryPort {
  devices = new Map<string, Device>();
  asked: string[] = [];
  down = false;
  /** While set, device() waits for it: lets a test act between a request and its answer. */
  gate?: Promise<void>;
  loadGate?: Promise<void>;

  /** Answers as the devices stand when asked; the answer arrives once `gate` opens. */
  async device(name: string): Promise<Device> {
    this.asked.push(name);
    const found = this.devices.get(name);
    await this.gate;
    if (this.down) throw new GatewayError(ErrorKind.Communication, 'connect ECONNREFUSED');
    if (!found) throw new GatewayError(ErrorKind.EntityNotFound, `device ${name} does not exist`);
    return found;
  }

  async allDevices(): Promise<Device[]> {
    const snapshot = [...this.devices.values()];
    await this.loadGate;
    if (this.down) throw new GatewayError(ErrorKind.Communication, 'connect ECONNREFUSED');
    return snapshot;
  }
}

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('DeviceDirectory', () => {
  let metadata: FakeMetadata;
  let clock: ManualClock;
  let directory: DeviceDirectory;

  beforeEach(() => {
    metadata = new FakeMetadata();
    clock = new ManualClock();
    directory = new DeviceDirectory(metadata, { clock, recheckAfterMs: 5_000, maxRemembered: 3 });
  });

  it('loads every device, then follows adds, updates, renames and deletes', async () => {
    metadata.devices.set('a', device('a'));
    metadata.devices.set('b', device('b'));
    expect(await directory.load()).toBe(2);
    expect(directory.loaded).toBe(true);
    expect(directory.get('a')).toEqual({ name: 'a', id: 'id-a', serviceName: 'S', profileName: 'P' });

    directory.apply(systemEvent('add', device('c', 'Q')));
    directory.apply(systemEvent('update', device('a', 'P2', 'S2')));
    directory.apply(systemEvent('update', device('b-renamed', 'P', 'S', 'id-b')));
    directory.apply(systemEvent('delete', device('c', 'Q')));
    expect(directory.get('a')).toMatchObject({ profileName: 'P2', serviceName: 'S2' });
    expect(directory.get('b')).toBeUndefined();
    expect(directory.get('b-renamed')).toMatchObject({ id: 'id-b' });
    expect(directory.get('c')).toBeUndefined();
    expect(directory.size).toBe(2);
    expect(() => directory.apply({ ...systemEvent('add', device('d')), details: { nothing: true } })).toThrow(/name/);
  });

  it('applies system events that arrive during a load after it, so the older snapshot never undoes them', async () => {
    metadata.devices.set('a', device('a'));
    const slow = gate();
    metadata.loadGate = slow.promise;
    const loading = directory.load(); // reads the snapshot [a] now, answers later
    directory.apply(systemEvent('delete', device('a')));
    directory.apply(systemEvent('add', device('b')));
    slow.open();
    await loading;
    expect(directory.get('a')).toBeUndefined();
    expect(directory.get('b')).toBeDefined();
  });

  it('keeps the view and applies the events when a load fails', async () => {
    await directory.load();
    metadata.down = true;
    const slow = gate();
    metadata.loadGate = slow.promise;
    const loading = directory.load();
    directory.apply(systemEvent('add', device('b')));
    slow.open();
    await expect(loading).rejects.toThrow(/ECONNREFUSED/);
    expect(directory.get('b')).toBeDefined();
  });

  it('asks core-metadata once per name, shares concurrent asks, and lets the answer stand for a while', async () => {
    metadata.devices.set('new', device('new'));
    const slow = gate();
    metadata.gate = slow.promise;
    const asks = [directory.ask('new'), directory.ask('new'), directory.ask('ghost'), directory.ask('ghost')];
    slow.open();
    const [a, b, c, d] = await Promise.all(asks);
    expect(a).toMatchObject({ name: 'new' });
    expect(b).toBe(a);
    expect(c).toBeUndefined();
    expect(d).toBeUndefined();
    expect(metadata.asked).toEqual(['new', 'ghost']);
    // The answers stand: the found device is in the view, the ghost is not asked about again...
    expect([directory.wouldAsk('ghost'), directory.wouldAsk('other')]).toEqual([false, true]);
    expect(directory.get('new')).toMatchObject({ profileName: 'P' });
    await directory.ask('ghost');
    expect(metadata.asked).toHaveLength(2);
    // ...until recheckAfterMs has passed.
    await clock.advance(5_000);
    expect(directory.wouldAsk('ghost')).toBe(true);
    metadata.devices.set('ghost', device('ghost'));
    expect(await directory.ask('ghost')).toMatchObject({ name: 'ghost' });
    expect(metadata.asked).toEqual(['new', 'ghost', 'ghost']);
  });

  it('remembers a bounded number of answers, forgetting the oldest first', async () => {
    for (const name of ['g1', 'g2', 'g3', 'g4']) await directory.ask(name);
    await directory.ask('g4');
    await directory.ask('g2');
    expect(metadata.asked).toEqual(['g1', 'g2', 'g3', 'g4']);
    await directory.ask('g1'); // forgotten (maxRemembered 3): asked again
    expect(metadata.asked).toEqual(['g1', 'g2', 'g3', 'g4', 'g1']);
  });

  it('takes a system event as the latest answer: a device added after a "not known" is known without asking', async () => {
    await directory.ask('late');
    directory.apply(systemEvent('add', device('late')));
    expect(await directory.ask('late')).toMatchObject({ name: 'late' });
    expect(metadata.asked).toEqual(['late']);
  });

  it('keeps a system event that came while a lookup was under way, rather than the older answer', async () => {
    metadata.devices.set('x', device('x', 'Old'));
    const slow = gate();
    metadata.gate = slow.promise;
    const asking = directory.ask('x');
    directory.apply(systemEvent('update', device('x', 'New')));
    slow.open();
    expect(await asking).toMatchObject({ profileName: 'Old' });
    expect(directory.get('x')).toMatchObject({ profileName: 'New' });
  });

  it('keeps a load that finished while a lookup was under way, rather than the older answer', async () => {
    metadata.devices.set('x', device('x', 'Old'));
    const slow = gate();
    metadata.gate = slow.promise;
    const asking = directory.ask('x'); // metadata answers "Old" now; the answer arrives later
    metadata.devices.set('x', device('x', 'New'));
    await directory.load(); // a newer snapshot
    slow.open();
    expect(await asking).toMatchObject({ profileName: 'Old' });
    expect(directory.get('x')).toMatchObject({ profileName: 'New' });
  });

  it('rejects with core-metadata’s error when it cannot answer, and asks again next time', async () => {
    metadata.down = true;
    await expect(directory.ask('x')).rejects.toMatchObject({ kind: ErrorKind.Communication });
    metadata.down = false;
    metadata.devices.set('x', device('x'));
    expect(await directory.ask('x')).toMatchObject({ name: 'x' });
  });
});
