/**
 * Live readings for browsers: one bus subscription to every device event,
 * fanned out as server-sent events. Bounded: at most `maxClients` streams
 * (one more is refused with 503), and each stream holds at most `clientQueue`
 * events waiting for its socket; a browser that falls further behind loses
 * its oldest events, counted, instead of the console's memory growing.
 */
import type { ServerResponse } from 'node:http';
import { systemClock, Topics } from '@gw/contracts';
import { LogThrottle } from '@gw/device-sdk/log';
import { BoundedQueue, MessageBus, MessageEnvelope, Subscription } from '@gw/messaging';
import type { Logger } from '@gw/service-kit/logger';

export interface LiveEventsOptions {
  maxClients: number;
  clientQueue: number;
  topicBase: string;
}

/** What a browser gets per event: the EdgeX event without its envelope. */
export interface LiveEvent {
  deviceName: string;
  profileName: string;
  sourceName: string;
  origin: number;
  readings: LiveReading[];
}

/** A reading as a browser gets it; a binary reading's bytes stay here (`binary: true` says there were some). */
export interface LiveReading {
  resourceName: string;
  value?: string;
  valueType?: string;
  units?: string;
  origin?: number;
  objectValue?: unknown;
  binary?: true;
}

interface Client {
  device?: string;
  res: ServerResponse;
  queue: BoundedQueue<string>;
  /** false while the socket's buffer is full: events wait in `queue` until 'drain'. */
  writable: boolean;
}

export interface LiveEventsFigures {
  clients: number;
  delivered: number;
  dropped: number;
  refused: number;
}

/** Keeps the stream open through proxies that close idle connections. */
const HEARTBEAT_MS = 15_000;

export class LiveEvents {
  private readonly clients = new Set<Client>();
  private readonly counters = { delivered: 0, dropped: 0, refused: 0 };
  private subscription?: Subscription;
  private heartbeat?: NodeJS.Timeout;
  private readonly throttle = new LogThrottle(systemClock);

  constructor(
    private readonly bus: MessageBus,
    private readonly options: LiveEventsOptions,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.subscription = await this.bus.subscribe(new Topics(this.options.topicBase).allDeviceEvents(), (envelope) => this.received(envelope));
    this.heartbeat = setInterval(() => this.keepAlive(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  figures(): LiveEventsFigures {
    return { clients: this.clients.size, ...this.counters };
  }

  /** Answers a GET with an event stream of `device`'s events (every device's when undefined). */
  open(res: ServerResponse, device: string | undefined): void {
    if (this.clients.size >= this.options.maxClients) {
      this.counters.refused++;
      this.logger.warn({ clients: this.clients.size, refused: this.counters.refused }, 'live readings: too many browsers, one refused');
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '10' });
      res.end(JSON.stringify({ statusCode: 503, message: `too many live streams (GW_CONSOLE_MAX_CLIENTS=${this.options.maxClients})` }));
      return;
    }
    const client: Client = { device, res, queue: new BoundedQueue<string>(this.options.clientQueue), writable: true };
    this.clients.add(client);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    res.write(': live\n\n');
    res.on('drain', () => {
      client.writable = true;
      this.flush(client);
    });
    res.on('close', () => this.clients.delete(client));
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const client of this.clients) client.res.end();
    this.clients.clear();
    await this.subscription?.unsubscribe();
  }

  private received(envelope: MessageEnvelope): void {
    const event = (envelope.payload as { event?: unknown } | undefined)?.event as Partial<LiveEvent> | null | undefined;
    if (this.clients.size === 0) return;
    if (!event || typeof event !== 'object' || typeof event.deviceName !== 'string' || !Array.isArray(event.readings)) {
      this.malformed('not an event with a deviceName and readings');
      return;
    }
    // Built only when a browser follows this device: most events go to nobody.
    let message: string | undefined;
    for (const client of this.clients) {
      if (client.device !== undefined && client.device !== event.deviceName) continue;
      if (message === undefined) {
        const shown = liveEvent(event as LiveEvent);
        if (shown.readings.length < event.readings.length) this.malformed(`readings without a resourceName left out (device ${event.deviceName})`);
        message = `data: ${JSON.stringify(shown)}\n\n`;
      }
      this.send(client, message);
    }
  }

  private malformed(why: string): void {
    if (this.throttle.allow('malformed') !== undefined) this.logger.warn({ why }, 'live readings: a malformed device event on the bus');
  }

  /** Only to an idle stream: one with events waiting is not idle, and a keep-alive must never push out an event. */
  private keepAlive(): void {
    for (const client of this.clients) if (client.writable && client.queue.length === 0) client.writable = client.res.write(': keep-alive\n\n');
  }

  private send(client: Client, message: string): void {
    if (client.queue.push(message).dropped) {
      this.counters.dropped++;
      if (this.throttle.allow('dropped') !== undefined) {
        this.logger.warn({ dropped: this.counters.dropped, clientQueue: this.options.clientQueue }, 'live readings: a browser reads slower than events arrive; its oldest events dropped');
      }
    }
    if (client.writable) this.flush(client);
  }

  private flush(client: Client): void {
    let next: string | undefined;
    while (client.writable && (next = client.queue.shift()) !== undefined) {
      client.writable = client.res.write(next);
      if (!next.startsWith(':')) this.counters.delivered++;
    }
  }
}

/** What a browser needs of an event; readings that are not objects with a string resourceName are left out (a page could not show them). */
function liveEvent(event: LiveEvent): LiveEvent {
  const readings: LiveReading[] = [];
  for (const r of event.readings as unknown[]) {
    if (!r || typeof r !== 'object' || typeof (r as LiveReading).resourceName !== 'string') continue;
    const { resourceName, value, valueType, units, origin, objectValue } = r as LiveReading & { binaryValue?: unknown };
    readings.push({
      resourceName,
      value,
      valueType,
      units,
      origin,
      objectValue,
      binary: (r as { binaryValue?: unknown }).binaryValue ? true : undefined,
    });
  }
  return { deviceName: event.deviceName, profileName: event.profileName, sourceName: event.sourceName, origin: event.origin, readings };
}
