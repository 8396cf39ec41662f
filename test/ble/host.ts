/**
 * device-ble as a service: a device service (the SDK, REST, API key) with a
 * real core-metadata on temp SQLite and the in-process bus, around a given
 * BLE driver.
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

export const API_KEY = 'ble-test-key';

export interface BleHost {
  metadata: RunningMetadata;
  rest: RestClient;
  service: RunningDeviceService;
  bus: MessageBus;
  topicBase: string;
  /** `fetch` on the device service under /api/v3, with the API key. */
  call(method: string, path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export async function startDeviceBle(driver: ProtocolDriver): Promise<BleHost> {
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
    const service = await startDeviceService(
      { serviceName: 'device-ble', driver: 'ble', host: '127.0.0.1', port: 0, topicBase, apiKey: API_KEY, metadataRetry: { initialMs: 50, maxMs: 200 } },
      { bus, logger: quietLogger('device-ble'), driver, metadata: new MetadataClient({ baseUrl: metadata.url }) },
    );
    cleanup.push(() => service.close());
    await service.ready;
    const call = (method: string, path: string, init: RequestInit = {}) =>
      fetch(`${service.url}/api/v3${path}`, { ...init, method, headers: { 'x-api-key': API_KEY, ...(init.headers as Record<string, string>) } });
    return { metadata, rest: new RestClient(metadata.url), service, bus, topicBase, call, close };
  } catch (err) {
    await close();
    throw err;
  }
}
