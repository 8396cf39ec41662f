/**
 * Shared by the core-data suites: EdgeX events as device services publish
 * them, a REST client, and a real core-metadata that knows the devices
 * (core-data stores only events of devices metadata knows).
 */
import { randomUUID } from 'node:crypto';
import { API_VERSION, Event } from '@gw/contracts';
import { MessageBus, newEnvelope } from '@gw/messaging';
import { RunningCoreData, startCoreData, CoreDataOptions } from '../../apps/core-data/src/core-data.app';
import { RunningMetadata, startMetadata } from '../../apps/metadata/src/metadata.app';
import { TestDatabase, testSqlite } from '../support/database';
import { quietLogger } from '../support/quiet-logger';

export const PROFILE = 'Boiler-Profile';
export const SERVICE = 'device-boiler';
export const RESOURCES = ['temperature', 'pressure', 'flow'];
export const MS = 1_000_000;
/** A second profile and service, for events that name the wrong ones. */
export const OTHER_PROFILE = 'Other-Profile';
export const OTHER_SERVICE = 'device-other';
/** The devices TestMetadata knows unless told otherwise: every name the core-data suites publish for. */
export const DEVICES = [...Array.from({ length: 10 }, (_, i) => `boiler-${i}`), 'camera-1'];

export interface EventSpec {
  device?: string;
  /** Origin in ms since the epoch (stored as ns). */
  atMs?: number;
  resources?: string[];
  source?: string;
}

/** An EdgeX event with one Float32 reading per resource, all at the event's origin. */
export function makeEvent(spec: EventSpec = {}): Event {
  const deviceName = spec.device ?? 'boiler-1';
  const origin = (spec.atMs ?? Date.now()) * MS;
  return {
    apiVersion: 'v3',
    id: randomUUID(),
    deviceName,
    profileName: PROFILE,
    sourceName: spec.source ?? 'AllValues',
    origin,
    readings: (spec.resources ?? RESOURCES).map((resourceName, i) => ({
      id: randomUUID(),
      origin,
      deviceName,
      resourceName,
      profileName: PROFILE,
      valueType: 'Float32' as const,
      units: 'degC',
      value: (20 + i + 0.5).toFixed(1),
    })),
  };
}

export function addEventRequest(event: Event): { apiVersion: string; requestId: string; event: Event } {
  return { apiVersion: 'v3', requestId: randomUUID(), event };
}

export function eventTopic(base: string, event: Event): string {
  return `${base}/events/device/${SERVICE}/${event.profileName}/${event.deviceName}/${event.sourceName}`;
}

export async function publishEvent(bus: MessageBus, base: string, event: Event): Promise<void> {
  await bus.publish(eventTopic(base, event), newEnvelope(addEventRequest(event)));
}

export interface Reply<T = any> {
  status: number;
  body: T;
}

/** A JSON client for the REST API of one of our services (core-data, core-metadata). */
export class RestClient {
  constructor(readonly baseUrl: string) {}

  async call<T = any>(method: string, path: string, body?: unknown): Promise<Reply<T>> {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      init.headers = { 'content-type': 'application/json' };
    }
    const res = await fetch(this.baseUrl + '/api/v3' + path, init);
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  get = <T = any>(path: string) => this.call<T>('GET', path);
  delete = <T = any>(path: string) => this.call<T>('DELETE', path);
  post = <T = any>(path: string, body: unknown) => this.call<T>('POST', path, body);

  async count(path: string): Promise<number> {
    const reply = await this.get(path);
    if (reply.status !== 200) throw new Error(`GET ${path}: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body.count;
  }
}

/** Counts the events core-data commits and lets a test await a total instead of sleeping. */
export class CommitRecorder {
  committed = 0;
  private waiters: Array<{ count: number; resolve: () => void }> = [];

  readonly onCommitted = (events: readonly Event[]): void => {
    this.committed += events.length;
    this.waiters = this.waiters.filter((w) => (this.committed >= w.count ? (w.resolve(), false) : true));
  };

  /** Resolves once `count` events were committed in total (duplicates excluded by the caller's design). */
  waitFor(count: number, timeoutMs = 15_000): Promise<void> {
    if (this.committed >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`expected ${count} committed events, got ${this.committed}`)), timeoutMs);
      this.waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }
}

export interface Booted {
  coreData: RunningCoreData;
  client: RestClient;
  commits: CommitRecorder;
}

/** core-data on `db` and `bus`; `options` must say where core-metadata is (metadataUrl) unless the device check is off. */
export async function bootCoreData(db: TestDatabase, bus: MessageBus, options: Partial<CoreDataOptions> = {}): Promise<Booted> {
  const commits = new CommitRecorder();
  const coreData = await startCoreData(
    { host: '127.0.0.1', port: 0, database: db.config, maxResultCount: 1000, topicBase: 'edgex', ...options },
    { bus, logger: quietLogger('core-data'), onCommitted: commits.onCommitted },
  );
  return { coreData, client: new RestClient(coreData.url), commits };
}

/** For conditions nothing announces (a count reached in the database). */
export { pollUntil } from '../support/poll';

const resource = (name: string) => ({ name, properties: { valueType: 'Float32', readWrite: 'R' } });

/**
 * A real core-metadata on a temp SQLite (on `port`, 0 = any), holding the
 * services device-boiler and device-other, the profiles Boiler-Profile and
 * Other-Profile, and `devices` (of device-boiler, Boiler-Profile). Its
 * system events go out on `bus` under `topicBase`.
 */
export class TestMetadata {
  private constructor(
    private running: RunningMetadata | undefined,
    private readonly db: TestDatabase,
    private readonly bus: MessageBus,
    private readonly topicBase: string,
    /** The port it serves on: kept across stop() and restart(). */
    public port: number,
  ) {}

  static async start(bus: MessageBus, topicBase: string, devices: string[] = DEVICES, port = 0): Promise<TestMetadata> {
    const db = testSqlite('metadata.db');
    const metadata = new TestMetadata(undefined, db, bus, topicBase, port);
    try {
      await metadata.restart();
      await metadata.batch('POST', '/deviceservice', 'service', [
        { name: SERVICE, baseAddress: 'http://localhost:1' },
        { name: OTHER_SERVICE, baseAddress: 'http://localhost:1' },
      ]);
      await metadata.batch('POST', '/deviceprofile', 'profile', [
        { name: PROFILE, deviceResources: RESOURCES.map(resource) },
        { name: OTHER_PROFILE, deviceResources: RESOURCES.map(resource) },
      ]);
      if (devices.length) await metadata.addDevices(devices);
      return metadata;
    } catch (err) {
      await metadata.close();
      throw err;
    }
  }

  get url(): string {
    return this.running!.url;
  }

  addDevices(names: string[], profileName = PROFILE, serviceName = SERVICE): Promise<void> {
    return this.batch('POST', '/device', 'device', names.map((name) => ({ name, profileName, serviceName, protocols: { other: { Address: name } } })));
  }

  patchDevice(patch: Record<string, unknown>): Promise<void> {
    return this.batch('PATCH', '/device', 'device', [patch]);
  }

  async deviceId(name: string): Promise<string> {
    return (await new RestClient(this.url).get(`/device/name/${name}`)).body.device.id;
  }

  async deleteDevice(name: string): Promise<void> {
    const reply = await new RestClient(this.url).delete(`/device/name/${name}`);
    if (reply.status !== 200) throw new Error(`DELETE device ${name}: ${JSON.stringify(reply.body)}`);
  }

  /** Stops serving (the data stays): core-data finds metadata unreachable. */
  async stop(): Promise<void> {
    await this.running?.close();
    this.running = undefined;
  }

  /** Serves again on the same port with the same data. */
  async restart(): Promise<void> {
    this.running = await startMetadata(
      { host: '127.0.0.1', port: this.port, database: this.db.config, maxResultCount: 1000, topicBase: this.topicBase },
      { bus: this.bus, logger: quietLogger('core-metadata') },
    );
    this.port = Number(new URL(this.running.url).port);
  }

  async close(): Promise<void> {
    await this.stop();
    await this.db.cleanup();
  }

  private async batch(method: string, path: string, key: string, items: unknown[]): Promise<void> {
    const reply = await new RestClient(this.url).call<any[]>(method, path, items.map((item) => ({ apiVersion: API_VERSION, [key]: item })));
    if (reply.status !== 207 || reply.body.some((r) => r.statusCode >= 300)) throw new Error(`${method} ${path}: ${JSON.stringify(reply.body)}`);
  }
}
