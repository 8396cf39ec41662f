/**
 * A broker or database that is not there when the gateway starts (compose
 * bringing things up together, a power cut): the gateway answers ping and
 * /ready on its ports while it waits, starts as soon as they answer, and
 * /ready keeps telling the truth about the bus afterwards.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { ErrorKind } from '@gw/contracts';
import { RunningGateway, startGateway } from '../../apps/gateway/src/gateway';
import { BrokerProcess, freePort, startMosquitto } from '../support/brokers';
import { testPostgresUrl } from '../support/database';
import { testGatewayConfig } from '../support/gateway';
import { pollUntil } from '../messaging/helpers';
import { quietLogger } from '../support/quiet-logger';

async function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(`http://127.0.0.1:${port}/api/v3/${path}`, { headers });
  return { status: response.status, body: await response.json() };
}

/** Resolves once `port` answers ping (the waiting server or the service). */
async function pingAnswers(port: number): Promise<void> {
  await pollUntil(async () => (await get(port, 'ping').catch(() => ({ status: 0 }))).status === 200, `ping on ${port}`);
}

describe('the gateway waits for what it needs, answering ping and /ready', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-waiting-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  describe('a broker that comes up after the gateway', () => {
    let broker: BrokerProcess;
    let gateway: RunningGateway | undefined;
    afterAll(async () => {
      await gateway?.close();
      await broker?.dispose();
    });

    it('serves ping, a 503 /ready naming the bus, then every service once the broker answers', async () => {
      broker = await startMosquitto();
      await broker.stop(); // its port is known and nobody listens there yet
      const [metadataPort, coreDataPort] = [await freePort(), await freePort()];
      const config = testGatewayConfig(dataDir, {
        GW_BUS_TYPE: 'mqtt',
        GW_BUS_URL: broker.url,
        GW_API_KEY: 'plant-secret',
        GW_METADATA_PORT: String(metadataPort),
        GW_CORE_DATA_PORT: String(coreDataPort),
        GW_TOPIC_BASE: `gw-waiting-${randomBytes(4).toString('hex')}`,
      });
      const starting = startGateway(config, quietLogger('gateway'));
      starting.catch(() => undefined); // asserted below

      await pingAnswers(metadataPort);
      // Health checks and probes carry no API key: ping and /ready are open, the rest says why it cannot answer yet.
      expect((await get(coreDataPort, 'ping')).body).toMatchObject({ statusCode: 200, serviceName: 'core-data' });
      const waiting = await get(metadataPort, 'ready');
      expect(waiting.status).toBe(503);
      expect(waiting.body).toMatchObject({ ready: false, serviceName: 'core-metadata', checks: [{ name: 'message bus', ready: false }] });
      expect(waiting.body.message).toMatch(/^waiting for message bus \(/);
      expect(await get(metadataPort, 'device/all', { 'x-api-key': 'plant-secret' })).toMatchObject({
        status: 503,
        body: { message: expect.stringMatching(/^core-metadata is starting: waiting for message bus/) },
      });

      await broker.start();
      gateway = await starting;
      const key = { 'x-api-key': 'plant-secret' };
      expect(await get(metadataPort, 'ready')).toMatchObject({ status: 200, body: { ready: true, checks: [{ name: 'message bus', ready: true }] } });
      expect(await get(metadataPort, 'device/all', key)).toMatchObject({ status: 200 });
      expect(await get(metadataPort, 'device/all')).toMatchObject({ status: 401 }); // the real service checks the key again

      // Afterwards /ready follows the bus: down while the broker is, ready again once it is back.
      await broker.stop();
      await pollUntil(async () => (await get(coreDataPort, 'ready')).status === 503, 'core-data not ready');
      expect((await get(coreDataPort, 'ready')).body.checks).toContainEqual({
        name: 'message bus',
        ready: false,
        problem: 'mqtt broker not connected; reconnecting',
      });
      expect((await get(coreDataPort, 'ping')).status).toBe(200);
      await broker.start();
      await pollUntil(async () => (await get(coreDataPort, 'ready')).status === 200, 'core-data ready again');
    });
  });

  const pgUrl = testPostgresUrl();
  (pgUrl ? describe : describe.skip)('a PostgreSQL database (GW_DATABASE) reachable only later', () => {
    const database = `gw_waiting_${process.pid}_${randomBytes(4).toString('hex')}`;
    const admin = () => new Client({ connectionString: pgUrl });
    let proxy: Server | undefined;
    const sockets = new Set<Socket>();
    let gateway: RunningGateway | undefined;
    let starting: Promise<RunningGateway> | undefined;

    beforeAll(async () => {
      const client = admin();
      await client.connect();
      await client.query(`CREATE DATABASE "${database}"`);
      await client.end();
    });
    afterAll(async () => {
      await (gateway ?? (await starting?.catch(() => undefined)))?.close();
      for (const socket of sockets) socket.destroy();
      proxy?.close();
      const client = admin();
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      await client.end();
    });

    it('waits while the database refuses connections, then keeps each service in its own schema of it', async () => {
      const target = new URL(pgUrl!);
      const proxyPort = await freePort();
      const url = new URL(pgUrl!);
      url.host = `127.0.0.1:${proxyPort}`;
      url.pathname = `/${database}`;
      const metadataPort = await freePort();
      const config = testGatewayConfig(dataDir, { GW_DATABASE: url.toString(), GW_METADATA_PORT: String(metadataPort) });
      starting = startGateway(config, quietLogger('gateway'));
      starting.catch(() => undefined);

      await pingAnswers(metadataPort);
      const waiting = await get(metadataPort, 'ready');
      expect(waiting.body.checks).toEqual([{ name: 'database', ready: false, problem: expect.stringMatching(/ECONNREFUSED/) }]);

      // The database "comes up": a TCP relay to the real one starts listening on the port the gateway tries.
      proxy = createServer((socket) => {
        const upstream = createConnection(Number(target.port || 5432), target.hostname);
        for (const end of [socket, upstream]) {
          sockets.add(end);
          end.on('error', () => undefined);
        }
        socket.pipe(upstream).pipe(socket);
      }).listen(proxyPort, '127.0.0.1');
      gateway = await starting;
      expect(await get(metadataPort, 'ready')).toMatchObject({ status: 200 });

      const client = new Client({ connectionString: url.toString().replace(`:${proxyPort}`, `:${target.port || 5432}`) });
      await client.connect();
      const { rows } = await client.query(`SELECT table_schema FROM information_schema.tables WHERE table_name LIKE '%migrations' ORDER BY 1`);
      await client.end();
      expect(rows.map((r) => r.table_schema)).toEqual(['core_data', 'metadata']);
    });

    it('stops at once when waiting cannot help (a database that does not exist)', async () => {
      const url = new URL(pgUrl!);
      url.pathname = `/${database}_missing`;
      const config = testGatewayConfig(dataDir, { GW_DATABASE: url.toString() });
      await expect(startGateway(config, quietLogger('gateway'))).rejects.toMatchObject({
        kind: ErrorKind.Database,
        message: expect.stringMatching(/does not exist/),
      });
    });
  });
});
