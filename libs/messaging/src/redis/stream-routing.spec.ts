import { ErrorKind } from '@gw/contracts';
import { pubSubKey, StreamRouting } from './stream-routing';

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

describe('pubSubKey', () => {
  it.each([
    ['a/b', false, 'a/b'],
    ['a/+/c', true, 'a/*/c'],
    ['a/#', true, 'a*'],
    ['#', true, '*'],
    ['a*b/+', true, 'a\\*b/*'],
  ])('%s', (filter, pattern, channel) => {
    expect(pubSubKey(filter)).toEqual({ pattern, channel });
  });
});
