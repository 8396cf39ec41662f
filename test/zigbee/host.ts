/**
 * device-zigbee (driver "zigbee") with a real core-metadata on temp SQLite:
 * the SDK serves the driver's routes as it serves every other, API key included.
 */
import { randomBytes } from 'node:crypto';
import { MetadataClient } from '@gw/clients';
import { RunningDeviceService, startDeviceService } from '@gw/device-sdk';
import type { ProtocolDriver } from '@gw/device-sdk/driver';
import { createMessageBus, MemoryBroker, MessageBus } from '@gw/messaging';
import { RunningMetadata, startMetadata } from '../../apps/metadata/src/metadata.app';
import { testSqlite } from '../support/database';
import { quietLogger } from '../support/quiet-logger';
import { MetadataClient as RestClient } from '../metadata/metadata-client';

export const API_KEY = 'zigbee-test-key';

/** The SDK's metadata client, noting the profiles it adds (device-zigbee adds one per model). */
export class CountingMetadataClient extends MetadataClient {
  readonly profilesAdded: string[] = [];
  override async addProfile(profile: Parameters<MetadataClient['addProfile']>[0]): Promise<string> {
    this.profilesAdded.push(profile.name);
    return super.addProfile(profile);
  }
}

export interface ZigbeeHost {
  metadata: RunningMetadata;
  rest: RestClient;
  /** What the device service talks to metadata with. */
  client: CountingMetadataClient;
  service: RunningDeviceService;
  bus: MessageBus;
  topicBase: string;
  call(method: string, path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export async function startDeviceZigbee(driver: ProtocolDriver): Promise<ZigbeeHost> {
  const cleanup: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  };
  try {
    const topicBase = `gwtest-${randomBytes(4).toString('hex')}`;
    const bus = createMessageBus({ type: 'memory', broker: new MemoryBroker() });
    await bus.connect();
    cleanup.push(() => bus.close());
    const db = testSqlite('metadata.db');
    cleanup.push(() => db.cleanup());
    const metadata = await startMetadata({ host: '127.0.0.1', port: 0, database: db.config, maxResultCount: 1000, topicBase }, { bus, logger: quietLogger('core-metadata') });
    cleanup.push(() => metadata.close());
    const client = new CountingMetadataClient({ baseUrl: metadata.url });
    const service = await startDeviceService(
      { serviceName: 'device-zigbee', driver: 'zigbee', host: '127.0.0.1', port: 0, topicBase, apiKey: API_KEY, metadataRetry: { initialMs: 50, maxMs: 200 } },
      { bus, logger: quietLogger('device-zigbee'), driver, metadata: client },
    );
    cleanup.push(() => service.close());
    await service.ready;
    const call = (method: string, path: string, init: RequestInit = {}) =>
      fetch(`${service.url}/api/v3${path}`, { ...init, method, headers: { 'x-api-key': API_KEY, ...(init.headers as Record<string, string>) } });
    return { metadata, rest: new RestClient(metadata.url), client, service, bus, topicBase, call, close };
  } catch (err) {
    await close();
    throw err;
  }
}
