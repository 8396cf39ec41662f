/**
 * What the core-command suites share: a real core-metadata on a temp SQLite
 * seeded over its REST API, core-command on a given bus, and a test responder
 * that answers device-command requests the way a device service does.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { API_VERSION, Topics } from '@gw/contracts';
import { MetadataClient } from '@gw/clients';
import { MessageBus, MessageEnvelope, Subscription, newEnvelope } from '@gw/messaging';
import { RunningMetadata, startMetadata } from '../../apps/metadata/src/metadata.app';
import { RunningCoreCommand, startCoreCommand } from '../../apps/core-command/src/core-command.app';
import { TestDatabase, testSqlite } from '../support/database';
import { EventRecorder } from '../support/event-recorder';
import { quietLogger } from '../support/quiet-logger';

/** A topic base of its own, so parallel runs on a shared broker never meet. */
export const uniqueTopicBase = (): string => `gwtest-${process.pid}-${randomBytes(3).toString('hex')}/edgex`;

export const SERVICE = 'device-test';
export const SILENT_SERVICE = 'device-silent';
export const LOCKED_SERVICE = 'device-locked';
export const PROFILE_NAME = 'Test-Pump';

/** R, W and RW resources, a hidden one, and a deviceCommand that reaches the hidden one. */
export const PROFILE = {
  name: PROFILE_NAME,
  deviceResources: [
    { name: 'Speed', properties: { valueType: 'Uint16', readWrite: 'RW', units: 'rpm' } },
    { name: 'Temperature', properties: { valueType: 'Float32', readWrite: 'R', units: 'C' } },
    { name: 'Setpoint', properties: { valueType: 'Float32', readWrite: 'W' } },
    { name: 'Raw', isHidden: true, properties: { valueType: 'Uint16', readWrite: 'RW' } },
  ],
  deviceCommands: [
    { name: 'Drive', readWrite: 'RW', resourceOperations: [{ deviceResource: 'Speed' }, { deviceResource: 'Raw' }] },
  ],
};

export const DEVICES = [
  { name: 'Pump-1', serviceName: SERVICE },
  { name: 'Pump-2', serviceName: SERVICE },
  { name: 'Pump-Silent', serviceName: SILENT_SERVICE },
  { name: 'Pump-Locked-Service', serviceName: LOCKED_SERVICE },
];

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export async function call<T = any>(baseUrl: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const res = await fetch(baseUrl + '/api/v3' + path, init);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

async function batch(baseUrl: string, method: string, path: string, key: string, items: unknown[]): Promise<void> {
  const reply = await call<any[]>(baseUrl, method, path, items.map((item) => ({ apiVersion: API_VERSION, [key]: item })));
  const failed = reply.body.filter((r) => r.statusCode >= 300);
  if (reply.status !== 207 || failed.length) throw new Error(`${method} ${path}: ${JSON.stringify(reply.body)}`);
}

/** A real core-metadata on a temp SQLite, holding the test profile, services and devices. */
export class SeededMetadata {
  private constructor(
    readonly running: RunningMetadata,
    private readonly db: TestDatabase,
  ) {}

  static async start(bus: MessageBus, topicBase: string): Promise<SeededMetadata> {
    const db = testSqlite();
    let running: RunningMetadata | undefined;
    try {
      running = await startMetadata(
        { host: '127.0.0.1', port: 0, database: db.config, maxResultCount: 1000, topicBase },
        { bus, logger: quietLogger('core-metadata') },
      );
      const url = running.url;
      await batch(url, 'POST', '/deviceservice', 'service', [
        { name: SERVICE, baseAddress: 'http://localhost:1' },
        { name: SILENT_SERVICE, baseAddress: 'http://localhost:1' },
        { name: LOCKED_SERVICE, baseAddress: 'http://localhost:1', adminState: 'LOCKED' },
      ]);
      await batch(url, 'POST', '/deviceprofile', 'profile', [PROFILE]);
      await batch(
        url,
        'POST',
        '/device',
        'device',
        DEVICES.map((d) => ({ ...d, profileName: PROFILE_NAME, protocols: { other: { Address: d.name } } })),
      );
      return new SeededMetadata(running, db);
    } catch (err) {
      await running?.close();
      await db.cleanup();
      throw err;
    }
  }

  get url(): string {
    return this.running.url;
  }

  patchDevice(patch: Record<string, unknown>): Promise<void> {
    return batch(this.url, 'PATCH', '/device', 'device', [patch]);
  }

  async close(): Promise<void> {
    await this.running.close();
    await this.db.cleanup();
  }
}

export async function startTestCoreCommand(bus: MessageBus, metadataUrl: string, topicBase: string, commandTimeout: number): Promise<RunningCoreCommand> {
  return startCoreCommand(
    { host: '127.0.0.1', port: 0, topicBase, commandTimeout },
    { bus, logger: quietLogger('core-command'), metadata: new MetadataClient({ baseUrl: metadataUrl }) },
  );
}

export type ResponderAnswer = { errorCode: number; payload: unknown } | 'silent';

/**
 * Stands in for a device service: records every command request addressed to
 * it and answers on `response/{service}/{requestId}`. By default a GET gets an
 * event with one reading per resource of the command (none when
 * ds-returnevent=false) and a SET gets 200.
 */
export class TestResponder {
  readonly requests = new EventRecorder();
  /** Replace to answer otherwise (an error, or nothing at all). */
  answer: (request: MessageEnvelope, topic: string) => ResponderAnswer = (request, topic) => defaultAnswer(request, topic);
  private subscription?: Subscription;

  constructor(
    private readonly bus: MessageBus,
    private readonly topics: Topics,
    readonly service: string,
  ) {}

  async start(): Promise<void> {
    this.subscription = await this.bus.subscribe(this.topics.commandRequestsFor(this.service), async (request, topic) => {
      this.requests.handler(request, topic);
      const answer = this.answer(request, topic);
      if (answer === 'silent') return;
      await this.bus.publish(
        this.topics.response(this.service, request.requestID),
        newEnvelope(answer.payload, { requestID: request.requestID, correlationID: request.correlationID, errorCode: answer.errorCode }),
      );
    });
  }

  async stop(): Promise<void> {
    await this.subscription?.unsubscribe();
  }

  reset(): void {
    this.requests.clear();
    this.answer = defaultAnswer;
  }
}

/** An answer as a device service gives it: 200 with an event for GET (unless ds-returnevent=false), 200 for SET. */
export function defaultAnswer(request: MessageEnvelope, topic: string): ResponderAnswer {
  const [device, command, method] = topic.split('/').slice(-3);
  const base = { apiVersion: API_VERSION, requestId: request.requestID, statusCode: 200 };
  if (method === 'set' || request.queryParams?.['ds-returnevent'] === 'false') return { errorCode: 0, payload: base };
  return { errorCode: 0, payload: { ...base, event: testEvent(device, command) } };
}

export function testEvent(deviceName: string, sourceName: string) {
  const origin = Date.now() * 1_000_000;
  return {
    apiVersion: API_VERSION,
    id: randomUUID(),
    deviceName,
    profileName: PROFILE_NAME,
    sourceName,
    origin,
    readings: [
      { id: randomUUID(), origin, deviceName, resourceName: sourceName, profileName: PROFILE_NAME, valueType: 'Uint16', value: '1450' },
    ],
  };
}

/** Sends a command over core-command's bus API and waits for its answer. */
export function busCommand(
  bus: MessageBus,
  topics: Topics,
  device: string,
  command: string,
  method: 'get' | 'set',
  payload: unknown = {},
  queryParams?: Record<string, string>,
): Promise<MessageEnvelope> {
  const requestID = randomUUID();
  return bus.request(topics.coreCommandRequest(device, command, method), newEnvelope(payload, { requestID, queryParams }), {
    responseTopic: topics.response('core-command', requestID),
    timeoutMs: 5_000,
  });
}
