import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { Topics } from '@gw/contracts';
import { createMessageBus, ManagedMessageBus, newEnvelope } from '@gw/messaging';
import { createLogger } from '@gw/service-kit/logger';
import { LiveEvents } from './live-events';

/** A browser's response at the socket: `full` makes write() report a full buffer, as a slow reader's socket does. */
class Browser extends EventEmitter {
  status?: number;
  body = '';
  full = false;
  ended = false;
  writeHead(status: number) {
    this.status = status;
    return this;
  }
  write(chunk: string) {
    this.body += chunk;
    return !this.full;
  }
  end(chunk?: string) {
    if (chunk) this.body += chunk;
    this.ended = true;
  }
  /** The event values received, in order. */
  values(): string[] {
    return [...this.body.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]).readings[0].value);
  }
  drain() {
    this.full = false;
    this.emit('drain');
  }
}

describe('LiveEvents (the console\'s live readings)', () => {
  let bus: ManagedMessageBus;
  let live: LiveEvents;
  const topics = new Topics('edgex');

  const publish = async (device: string, value: string) => {
    const event = { deviceName: device, profileName: 'P', sourceName: 'S', origin: 1, readings: [{ resourceName: 'R', value, valueType: 'Int32' }] };
    await bus.publish(topics.deviceEvent('device-virtual', 'P', device, 'S'), newEnvelope({ apiVersion: 'v3', requestId: '', event }));
  };
  /** Publishes a marker to `device` and waits until `browser` got it: everything published before has been handled. */
  const settled = async (browser: Browser, device: string) => {
    const marker = `m${Math.random()}`;
    await publish(device, marker);
    while (!browser.body.includes(marker)) await new Promise((resolve) => setImmediate(resolve));
  };

  beforeEach(async () => {
    bus = createMessageBus({ type: 'memory' });
    await bus.connect();
    live = new LiveEvents(bus, { maxClients: 2, clientQueue: 3, topicBase: 'edgex' }, createLogger('test', 'silent'));
    await live.start();
  });
  afterEach(async () => {
    await live.close();
    await bus.close();
  });

  it('streams each browser the events of its device only, or of every device', async () => {
    const one = new Browser();
    const all = new Browser();
    live.open(one as unknown as ServerResponse, 'D1');
    live.open(all as unknown as ServerResponse, undefined);
    await publish('D2', '2');
    await publish('D1', '1');
    await settled(one, 'D1');
    expect(one.status).toBe(200);
    expect(one.values().slice(0, 1)).toEqual(['1']);
    expect(all.values().slice(0, 2)).toEqual(['2', '1']);
  });

  it('refuses a browser beyond GW_CONSOLE_MAX_CLIENTS with 503, counted, and takes one again when another leaves', async () => {
    const [a, b, c] = [new Browser(), new Browser(), new Browser()];
    live.open(a as unknown as ServerResponse, undefined);
    live.open(b as unknown as ServerResponse, undefined);
    live.open(c as unknown as ServerResponse, undefined);
    expect(c.status).toBe(503);
    expect(c.body).toContain('GW_CONSOLE_MAX_CLIENTS=2');
    expect(live.figures()).toMatchObject({ clients: 2, refused: 1 });
    a.emit('close');
    const d = new Browser();
    live.open(d as unknown as ServerResponse, undefined);
    expect([d.status, live.figures().clients]).toEqual([200, 2]);
  });

  it('keeps at most GW_CONSOLE_CLIENT_QUEUE events for a slow browser, dropping the oldest (counted), and sends the rest on drain', async () => {
    const slow = new Browser();
    const fast = new Browser();
    live.open(slow as unknown as ServerResponse, 'D');
    live.open(fast as unknown as ServerResponse, 'D');
    slow.full = true;
    await publish('D', '0'); // written, and the socket reports full
    for (const value of ['1', '2', '3', '4', '5']) await publish('D', value);
    await settled(fast, 'D');
    // Waiting: 1..5 and the marker, 3 kept: the 3 oldest dropped.
    expect(slow.values()).toEqual(['0']);
    expect(live.figures().dropped).toBe(3);
    slow.drain();
    expect(slow.values().slice(0, 3)).toEqual(['0', '4', '5']);
    expect(fast.values().slice(0, 6)).toEqual(['0', '1', '2', '3', '4', '5']);
  });
});
