import { Topics } from '@gw/contracts';
import { deviceEventsFilter } from './live-stream';

describe('deviceEventsFilter (gw readings tail from the broker)', () => {
  const topics = new Topics('edgex');

  it("subscribes to one device's events when --device names it", () => {
    expect(deviceEventsFilter(topics, 'Pump-1')).toBe('edgex/events/+/+/+/Pump-1/#');
  });

  it('subscribes to every event without --device, or for a name that cannot be a topic level', () => {
    expect(deviceEventsFilter(topics, undefined)).toBe('edgex/events/#');
    for (const name of ['a/b', 'x+', 'y#']) expect(deviceEventsFilter(topics, name)).toBe('edgex/events/#');
  });
});
