import { validateProvisionWatcher } from '@gw/contracts';
import { deviceFromDiscovery, matchWatcher } from './watcher-match';

const watcher = validateProvisionWatcher({
  name: 'W',
  serviceName: 'svc',
  labels: ['auto'],
  identifiers: { Address: 'plc-[0-9]+', Port: '50[0-9]' },
  blockingIdentifiers: { Address: ['plc-13'] },
  discoveredDevice: { profileName: 'P', adminState: 'LOCKED', properties: { site: 'A' } },
});

describe('matchWatcher', () => {
  const found = (protocols: Record<string, Record<string, unknown>>) => ({ name: 'X', protocols });

  it('needs every identifier to match a protocol property, in any protocol', () => {
    expect(matchWatcher(found({ tcp: { Address: 'plc-1', Port: 502 } }), watcher).matches).toBe(true);
    expect(matchWatcher(found({ tcp: { Address: 'plc-1' }, other: { Port: '503' } }), watcher).matches).toBe(true);
    expect(matchWatcher(found({ tcp: { Address: 'plc-1' } }), watcher)).toEqual({ matches: false, reason: 'no protocol property Port' });
    expect(matchWatcher(found({ tcp: { Address: 'plc-x', Port: 502 } }), watcher).matches).toBe(false);
  });

  it('matches the whole value, not a part of it', () => {
    expect(matchWatcher(found({ tcp: { Address: 'plc-1', Port: 5020 } }), watcher).matches).toBe(false);
    expect(matchWatcher(found({ tcp: { Address: 'my-plc-1', Port: 502 } }), watcher).matches).toBe(false);
  });

  it('is vetoed by a blocking identifier and by a LOCKED watcher', () => {
    expect(matchWatcher(found({ tcp: { Address: 'plc-13', Port: 502 } }), watcher)).toEqual({
      matches: false,
      reason: 'Address=plc-13 is blocked by watcher W',
    });
    expect(matchWatcher(found({ tcp: { Address: 'plc-1', Port: 502 } }), { ...watcher, adminState: 'LOCKED' }).matches).toBe(false);
  });

  it('reports an invalid regular expression instead of throwing', () => {
    const verdict = matchWatcher(found({ tcp: { Address: 'a' } }), { ...watcher, identifiers: { Address: '(' } });
    expect(verdict.matches).toBe(false);
    expect(verdict.matches === false && verdict.reason).toMatch(/not a valid regular expression/);
  });
});

describe('deviceFromDiscovery', () => {
  it("takes the watcher's profile, adminState, autoEvents and properties, and both sets of labels", () => {
    const device = deviceFromDiscovery(
      { name: 'plc-1', description: 'found', labels: ['tcp'], protocols: { tcp: { Address: 'plc-1' } }, properties: { fw: '2', site: 'B' } },
      watcher,
      'svc',
    );
    expect(device).toEqual({
      name: 'plc-1',
      description: 'found',
      serviceName: 'svc',
      profileName: 'P',
      adminState: 'LOCKED',
      operatingState: 'UP',
      protocols: { tcp: { Address: 'plc-1' } },
      labels: ['tcp', 'auto'],
      properties: { fw: '2', site: 'A' },
    });
  });
});
