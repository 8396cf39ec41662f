import { ErrorKind } from '@gw/contracts';
import { pubSubKeys, StreamRouting } from './stream-routing';

describe('StreamRouting', () => {
  const routing = new StreamRouting(['+/events/#'], 'gw:');

  it('streams event topics per first two levels and leaves the rest to Pub/Sub', () => {
    expect(routing.keyForTopic('edgex/events/device/svc/p/d/s')).toBe('gw:stream:edgex/events');
    expect(routing.keyForTopic('edgex/events')).toBe('gw:stream:edgex/events');
    expect(routing.keyForTopic('edgex/response/svc/1')).toBeUndefined();
  });

  it('maps durable filters to the stream that carries them', () => {
    expect(routing.keyForDurableFilter('edgex/events/#')).toBe('gw:stream:edgex/events');
    expect(routing.keyForDurableFilter('edgex/events/device/+/+/dev1/#')).toBe('gw:stream:edgex/events');
  });

  it.each(['edgex/#', '+/events/#', 'edgex/response/#', '#'])('refuses durable filter %s', (filter) => {
    expect(() => routing.keyForDurableFilter(filter)).toThrow(expect.objectContaining({ kind: ErrorKind.ContractInvalid }));
  });
});

describe('pubSubKeys', () => {
  it.each([
    ['a/b', [{ pattern: false, channel: 'a/b' }]],
    ['a/+/c', [{ pattern: true, channel: 'a/*/c' }]],
    // Never `a*`: that reaches `a-other/...` too, and the ACL could not tell device-x from device-x2.
    ['a/#', [{ pattern: true, channel: 'a/*' }, { pattern: false, channel: 'a' }]],
    ['a/+/#', [{ pattern: true, channel: 'a/*' }]],
    ['s/+/+/dev-x/#', [{ pattern: true, channel: 's/*/*/dev-x/*' }, { pattern: true, channel: 's/*/*/dev-x' }]],
    ['#', [{ pattern: true, channel: '*' }]],
    ['a*b/+', [{ pattern: true, channel: 'a\\*b/*' }]],
  ])('%s', (filter, keys) => {
    expect(pubSubKeys(filter)).toEqual(keys);
  });
});
