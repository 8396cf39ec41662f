/** Shared by the core-data suites: EdgeX events as device services publish them, and a REST client. */
import { randomUUID } from 'node:crypto';
import type { Event } from '@gw/contracts';
import { MessageBus, newEnvelope } from '@gw/messaging';
import { RunningCoreData, startCoreData, CoreDataOptions } from '../../apps/core-data/src/core-data.app';
import type { TestDatabase } from '../support/database';
import { quietLogger } from '../support/quiet-logger';

export const PROFILE = 'Boiler-Profile';
export const SERVICE = 'device-boiler';
export const RESOURCES = ['temperature', 'pressure', 'flow'];
export const MS = 1_000_000;

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

export class CoreDataClient {
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
  client: CoreDataClient;
  commits: CommitRecorder;
}

export async function bootCoreData(db: TestDatabase, bus: MessageBus, options: Partial<CoreDataOptions> = {}): Promise<Booted> {
  const commits = new CommitRecorder();
  const coreData = await startCoreData(
    { host: '127.0.0.1', port: 0, database: db.config, maxResultCount: 1000, topicBase: 'edgex', ...options },
    { bus, logger: quietLogger('core-data'), onCommitted: commits.onCommitted },
  );
  return { coreData, client: new CoreDataClient(coreData.url), commits };
}

/** For conditions nothing announces (a count reached in the database): retry until true or the deadline. */
export async function pollUntil(attempt: () => Promise<boolean> | boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await attempt()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
