import { systemClock, Topics } from '@gw/contracts';
import type { MessageBus, MessageEnvelope } from '@gw/messaging';
import { buildEvent, EventPublisher } from './event-publisher';

const silent = { debug: () => undefined, info: () => undefined, warn: jest.fn(), error: () => undefined };
const event = () => buildEvent('D', 'P', 'S', 1, [{ origin: 1, deviceName: 'D', resourceName: 'S', profileName: 'P', valueType: 'Int16', value: '1' }]);

function busWith(publish: (topic: string, envelope: MessageEnvelope) => Promise<void>): MessageBus {
  return { publish } as unknown as MessageBus;
}

describe('EventPublisher', () => {
  it('publishes an AddEventRequest on the EdgeX event topic', async () => {
    const sent: Array<[string, MessageEnvelope]> = [];
    const publisher = new EventPublisher(busWith(async (t, e) => void sent.push([t, e])), new Topics('base'), 'svc', silent, systemClock);
    const e = event();
    expect(publisher.publish(e)).toBe(true);
    await publisher.drain();
    expect(sent[0][0]).toBe('base/events/device/svc/P/D/S');
    expect(sent[0][1].payload).toEqual({ apiVersion: 'v3', requestId: expect.any(String), event: e });
    expect(publisher.stats()).toEqual({ published: 1, failed: 0, dropped: 0, inFlight: 0 });
  });

  it('counts and logs publish failures without throwing', async () => {
    const publisher = new EventPublisher(busWith(() => Promise.reject(new Error('broker away'))), new Topics(), 'svc', silent, systemClock);
    publisher.publish(event());
    publisher.publish(event());
    await publisher.drain();
    expect(publisher.stats()).toMatchObject({ published: 0, failed: 2 });
    expect(silent.warn).toHaveBeenCalledTimes(1); // throttled
  });

  it('drops new events once maxInFlight wait for a stuck bus', () => {
    const publisher = new EventPublisher(busWith(() => new Promise(() => undefined)), new Topics(), 'svc', silent, systemClock, 3);
    const accepted = Array.from({ length: 5 }, () => publisher.publish(event()));
    expect(accepted).toEqual([true, true, true, false, false]);
    expect(publisher.stats()).toMatchObject({ inFlight: 3, dropped: 2 });
  });
});
