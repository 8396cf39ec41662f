/**
 * A real core-metadata (temp SQLite, port 0) and a device service with a
 * FakeDriver, on one bus with a topic base of its own, as the device-sdk
 * suites need them. `close()` stops everything, also after a failed boot.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDeviceProfile, Topics } from '@gw/contracts';
import { MetadataClient } from '@gw/clients';
import { DeviceServiceOptions, RunningDeviceService, startDeviceService } from '@gw/device-sdk';
import { createMessageBus, ManagedMessageBus, MemoryBroker } from '@gw/messaging';
import { RunningMetadata, startMetadata } from '../../apps/metadata/src/metadata.app';
import { testSqlite } from '../support/database';
import { quietLogger } from '../support/quiet-logger';
import { MetadataClient as RestClient } from '../metadata/metadata-client';
import { FakeDriver } from './fake-driver';
import { TEST_PROFILE_YAML } from './test-profile';

export interface Harness {
  bus: ManagedMessageBus;
  topics: Topics;
  serviceName: string;
  metadata: RunningMetadata;
  /** core-metadata over REST, as an operator would call it. */
  rest: RestClient;
  driver: FakeDriver;
  service: RunningDeviceService;
  /** The device service over REST. */
  api: RestClient;
  close(): Promise<void>;
}

export interface HarnessOptions {
  bus?: ManagedMessageBus;
  /** Runs against metadata before the device service starts (the service is already registered by then). */
  before?: (rest: RestClient, serviceName: string) => Promise<void>;
  service?: Partial<DeviceServiceOptions>;
}

export async function bootHarness(options: HarnessOptions = {}): Promise<Harness> {
  const cleanup: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  };
  try {
    const suffix = randomBytes(4).toString('hex');
    const topicBase = `gwtest-${suffix}`;
    const serviceName = `device-test-${suffix}`;
    const bus = options.bus ?? createMessageBus({ type: 'memory', broker: new MemoryBroker() });
    if (!options.bus) {
      await bus.connect();
      cleanup.push(() => bus.close());
    }
    const db = testSqlite('metadata.db');
    cleanup.push(() => db.cleanup());
    const metadata = await startMetadata(
      { host: '127.0.0.1', port: 0, database: db.config, maxResultCount: 1000, topicBase },
      { bus, logger: quietLogger('core-metadata') },
    );
    cleanup.push(() => metadata.close());
    const rest = new RestClient(metadata.url);

    const profile = await rest.batch('POST', '/deviceprofile', 'profile', [parseDeviceProfile(TEST_PROFILE_YAML)]);
    expectCreated(profile.body, 'profile');
    if (options.before) {
      const registered = await rest.batch('POST', '/deviceservice', 'service', [
        { name: serviceName, baseAddress: 'http://nowhere.invalid:1', adminState: 'UNLOCKED', labels: ['kept'] },
      ]);
      expectCreated(registered.body, 'device service');
      await options.before(rest, serviceName);
    }

    const driver = new FakeDriver();
    // The service's own files (its secret store) in a temp folder, never the checkout's ./data.
    const dataDir = mkdtempSync(join(tmpdir(), 'gw-device-test-'));
    cleanup.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const service = await startDeviceService(
      { serviceName, host: '127.0.0.1', port: 0, topicBase, dataDir, metadataRetry: { initialMs: 50, maxMs: 200 }, ...options.service },
      { bus, logger: quietLogger(serviceName), driver, metadata: new MetadataClient({ baseUrl: metadata.url }) },
    );
    cleanup.push(() => service.close());
    await service.ready;
    return { bus, topics: new Topics(topicBase), serviceName, metadata, rest, driver, service, api: new RestClient(service.url), close };
  } catch (err) {
    await close();
    throw err;
  }
}

function expectCreated(outcomes: Array<{ statusCode: number; message?: string }>, what: string): void {
  const bad = outcomes.find((o) => o.statusCode !== 201);
  if (bad) throw new Error(`${what} not created: ${bad.statusCode} ${bad.message}`);
}

/** A device of the test profile, with the fake driver's protocol. */
export function testDevice(serviceName: string, name: string, extra: Record<string, unknown> = {}) {
  return { name, serviceName, profileName: 'Test-Sensor', adminState: 'UNLOCKED', protocols: { fake: { Address: name } }, ...extra };
}
