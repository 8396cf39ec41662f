/**
 * A device service around a given driver, as the SDK runs it (REST, API
 * key, the driver's routes), with a real core-metadata on temp SQLite and
 * the in-process bus: the host the protocol tests (test/ble, and later
 * test/zigbee, test/opcua) start their driver in. close() undoes every step
 * taken, also when a later one failed.
 */
import { randomBytes } from 'node:crypto';
import { MetadataClient } from '@gw/clients';
import { RunningDeviceService, startDeviceService } from '@gw/device-sdk';
import type { ProtocolDriver } from '@gw/device-sdk/driver';
import { createMessageBus, MemoryBroker, MessageBus } from '@gw/messaging';
import { RunningMetadata, startMetadata } from '../../apps/metadata/src/metadata.app';
import { MetadataClient as RestClient } from '../metadata/metadata-client';
import { testSqlite } from './database';
import { quietLogger } from './quiet-logger';

export interface DeviceServiceHostOptions<C extends MetadataClient> {
  /** `device-ble`, ...: the service name, and its logger's. */
  serviceName: string;
  /** The driver's registry name (`ble`, ...). */
  driverName: string;
  driver: ProtocolDriver;
  apiKey: string;
  /** The client the device service talks to metadata with (default the SDK's MetadataClient). */
  metadataClient?: (baseUrl: string) => C;
}

export interface DeviceServiceHost<C extends MetadataClient = MetadataClient> {
  metadata: RunningMetadata;
  /** A test's REST client of core-metadata. */
  rest: RestClient;
  /** What the device service talks to metadata with. */
  client: C;
  service: RunningDeviceService;
  bus: MessageBus;
  topicBase: string;
  /** `fetch` on the device service under /api/v3, with the API key. */
  call(method: string, path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export async function startDeviceServiceHost<C extends MetadataClient = MetadataClient>(options: DeviceServiceHostOptions<C>): Promise<DeviceServiceHost<C>> {
  const cleanup: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
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
    const client = options.metadataClient ? options.metadataClient(metadata.url) : (new MetadataClient({ baseUrl: metadata.url }) as C);
    const { serviceName, driverName: driver, apiKey } = options;
    const service = await startDeviceService(
      { serviceName, driver, host: '127.0.0.1', port: 0, topicBase, apiKey, metadataRetry: { initialMs: 50, maxMs: 200 } },
      { bus, logger: quietLogger(serviceName), driver: options.driver, metadata: client },
    );
    cleanup.push(() => service.close());
    await service.ready;
    const call = (method: string, path: string, init: RequestInit = {}) =>
      fetch(`${service.url}/api/v3${path}`, { ...init, method, headers: { 'x-api-key': apiKey, ...(init.headers as Record<string, string>) } });
    return { metadata, rest: new RestClient(metadata.url), client, service, bus, topicBase, call, close };
  } catch (err) {
    await close();
    throw err;
  }
}
