/**
 * A connection a cloud refuses is visible where operators look: the app
 * service's GET /api/v3/exports and its metrics name the reason per route
 * (a wrong Azure key: CONNACK 5 from the hub emulator's front door; a client
 * certificate the broker does not trust; nothing listening; a name that does
 * not resolve), and say when the connection last came up.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMessageBus, ManagedMessageBus, MemoryBroker } from '@gw/messaging';
import { BrokerProcess, freePort, startMosquitto } from '@gw/test-support/brokers';
import { createLogger } from '@gw/service-kit';
import { makeTestPki, TestPki } from '@gw/test-support/tls';
import { RunningAppService, startAppService } from '../../apps/app-service/src/app-service.app';
import { parsePipelinesFile } from '../../apps/app-service/src/pipeline/pipelines-file';
import type { RouteFigures } from '../../apps/app-service/src/http/figures';
import { AwsShadowSink } from '../../apps/app-service/src/sinks/aws-shadow-sink';
import type { ConnectionStatus } from '../../apps/app-service/src/sinks/sink';
import type { AwsShadowSinkConfig } from '../../apps/app-service/src/sinks/sink-config';
import { pollFor } from '../support/poll';
import { AzureHubEmulator } from './support/azure-hub-emulator';
import { HubGate } from './support/hub-gate';

jest.setTimeout(30_000);

const HOST = 'status-hub.azure-devices.net';
const KEY = randomBytes(32).toString('base64');
const WRONG_KEY = randomBytes(32).toString('base64');
/** Every line the app service logs, as written (JSON), to check their keys. */
const logLines: string[] = [];
const logger = createLogger('app-service', 'debug', { write: (line: string) => void logLines.push(line) });

/** The keys of a JSON line's top-level object, repeats included (JSON.parse would keep only the last of a repeated key). */
function topLevelKeys(line: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') {
      let j = i + 1;
      while (line[j] !== '"') j += line[j] === '\\' ? 2 : 1;
      if (depth === 1 && line[j + 1] === ':') keys.push(line.slice(i + 1, j));
      i = j;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return keys;
}
const noActuators = {
  profileOf: () => Promise.reject(new Error('not used')),
  get: () => Promise.reject(new Error('not used')),
  set: () => Promise.reject(new Error('not used')),
};

describe('connection status per route', () => {
  let broker: BrokerProcess;
  let gate: HubGate;
  let hub: AzureHubEmulator;
  const dirs: string[] = [];
  const buses: ManagedMessageBus[] = [];
  const apps: RunningAppService[] = [];
  const device = `status-${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    broker = await startMosquitto();
    gate = await HubGate.open(broker.port, HOST, KEY);
    hub = await AzureHubEmulator.start(broker.url, device);
  });

  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    await Promise.all(buses.map((b) => b.close()));
    await hub?.stop();
    await gate?.close();
    await broker?.dispose();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  async function appWith(key: string): Promise<RunningAppService> {
    const dataDir = mkdtempSync(join(tmpdir(), 'gw-status-'));
    dirs.push(dataDir);
    const pipelines = parsePipelinesFile(
      [
        'sinks:',
        '  - name: hub',
        '    type: azure-twin',
        `    connectionString: "HostName=${HOST};DeviceId=${device};SharedAccessKey=${key}"`,
        `    url: ${gate.url}`,
        'pipelines:',
        '  - name: state',
        '    transform: twin',
        '    sinks: [hub]',
      ].join('\n'),
      'pipelines.yaml',
      { topicBase: 'edgex' },
    );
    const bus = createMessageBus({ type: 'memory', broker: new MemoryBroker() });
    buses.push(bus);
    await bus.connect();
    const app = await startAppService(
      { host: '127.0.0.1', port: 0, topicBase: 'edgex', dataDir, durableName: `app-${randomUUID()}` },
      { bus, logger, pipelines, actuators: noActuators },
    );
    apps.push(app);
    return app;
  }

  async function route(app: RunningAppService): Promise<RouteFigures> {
    const body = (await (await fetch(`${app.url}/api/v3/exports`)).json()) as { routes: RouteFigures[] };
    return body.routes[0];
  }

  it('a wrong Azure key shows as not authorized (CONNACK 5) on /api/v3/exports and in the metrics', async () => {
    const app = await appWith(WRONG_KEY);
    const refused = await pollFor(async () => {
      const r = await route(app);
      return r.connectionError ? r : undefined;
    }, 'the connection error');
    expect(gate.connects.at(-1)).toMatchObject({ clientId: device, accepted: false, reason: 'signature mismatch' });
    expect(refused).toMatchObject({ route: 'state.hub', connected: false, connectionError: { reason: 'not-authorized', message: 'not authorized (CONNACK 5)' } });
    expect(Date.parse(refused.connectionError!.at)).not.toBeNaN();
    expect(refused.lastConnectedAt).toBeUndefined();
    const metrics = await (await fetch(`${app.url}/api/v3/metrics`)).text();
    expect(metrics).toMatch(/^gw_export_connection_error\{[^}]*route="state\.hub"[^}]*reason="not-authorized"[^}]*\} 1$/m);
    expect(metrics).toMatch(/^gw_export_last_connect_timestamp_seconds\{[^}]*route="state\.hub"[^}]*\} 0$/m);

    // What it logged meanwhile names each thing once per line: the sink's logger carries `sink`, a route's `route`.
    const sinkLines = logLines.filter((line) => line.includes('"sink":'));
    expect(sinkLines.length).toBeGreaterThan(0);
    for (const line of logLines) {
      const keys = topLevelKeys(line);
      expect({ line, repeated: keys.filter((key, i) => keys.indexOf(key) !== i) }).toEqual({ line, repeated: [] });
    }
  });

  it('with the right key it connects, and the route says when', async () => {
    const app = await appWith(KEY);
    const up = await pollFor(async () => {
      const r = await route(app);
      return r.connected ? r : undefined;
    }, 'the connection');
    expect(gate.connects.at(-1)).toMatchObject({ clientId: device, accepted: true });
    expect(up.connectionError).toBeUndefined();
    expect(Date.parse(up.lastConnectedAt!)).not.toBeNaN();
    const metrics = await (await fetch(`${app.url}/api/v3/metrics`)).text();
    expect(metrics).not.toMatch(/^gw_export_connection_error\{/m);
  });

  it('the error gauge names the reason only while the sink is down: after it reconnects the series is gone, the time of the failure stays', async () => {
    const app = await appWith(KEY);
    const metrics = async () => (await fetch(`${app.url}/api/v3/metrics`)).text();
    await pollFor(async () => ((await route(app)).connected ? true : undefined), 'the connection');
    gate.down();
    try {
      const down = await pollFor(async () => {
        const r = await route(app);
        return !r.connected && r.connectionError ? r : undefined;
      }, 'a failed reconnect');
      expect(await metrics()).toMatch(new RegExp(`^gw_export_connection_error\\{[^}]*route="state\\.hub"[^}]*reason="${down.connectionError!.reason}"[^}]*\\} 1$`, 'm'));
    } finally {
      gate.up();
    }
    const up = await pollFor(async () => {
      const r = await route(app);
      return r.connected ? r : undefined;
    }, 'the reconnect');
    expect(up.connectionError).toBeDefined();
    const after = await metrics();
    expect(after).not.toMatch(/^gw_export_connection_error\{/m);
    expect(after).toMatch(/^gw_export_last_connection_error_timestamp_seconds\{[^}]*route="state\.hub"[^}]*\} [1-9]/m);
  });
});

describe('connection failures of an MQTT sink, by reason', () => {
  let pki: TestPki;
  let tlsBroker: BrokerProcess;
  const sinks: AwsShadowSink[] = [];

  beforeAll(async () => {
    pki = makeTestPki();
    tlsBroker = await startMosquitto({ tls: { ca: pki.files.ca, cert: pki.files.serverCert, key: pki.files.serverKey, requireClientCert: true } });
  });

  afterAll(async () => {
    await Promise.all(sinks.map((s) => s.stop()));
    await tlsBroker?.dispose();
    pki?.dispose();
  });

  async function failureOf(url: string, tls: AwsShadowSinkConfig['tls']): Promise<NonNullable<ConnectionStatus['lastError']>> {
    const sink = new AwsShadowSink(
      { name: 'aws', type: 'aws-shadow', url, clientId: `status-${randomUUID()}`, thingName: 'status-{device}', tls },
      { reconnectPeriodMs: 200, connectTimeoutMs: 3_000 },
    );
    sinks.push(sink);
    await sink.start({ logger });
    return pollFor(() => sink.connectionStatus().lastError, `a failure connecting to ${url}`);
  }

  it('a client certificate the broker does not trust: certificate rejected', async () => {
    // A key pair of the wrong CA: the other CA's certificate stands in for the client's, signed by nobody the broker knows.
    const other = makeTestPki();
    try {
      const failure = await failureOf(tlsBroker.url, { ca: pki.pem.ca, cert: other.pem.clientCert, key: other.pem.clientKey, rejectUnauthorized: true });
      expect(failure).toMatchObject({ kind: 'certificate', message: expect.stringMatching(/^certificate rejected by mqtts:\/\/127\.0\.0\.1:\d+: TLS alert "/) });
    } finally {
      other.dispose();
    }
  });

  it('a broker certificate the gateway does not trust: server certificate rejected', async () => {
    const failure = await failureOf(tlsBroker.url, { ca: pki.pem.otherCa, cert: pki.pem.clientCert, key: pki.pem.clientKey, rejectUnauthorized: true });
    expect(failure).toMatchObject({ kind: 'certificate', message: expect.stringMatching(/^server certificate rejected by the gateway: .*\((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)\)$/) });
  });

  it('nothing listening, and a name that does not resolve', async () => {
    const port = await freePort();
    await expect(failureOf(`mqtt://127.0.0.1:${port}`, { rejectUnauthorized: true })).resolves.toMatchObject({
      kind: 'refused',
      message: `connection refused by mqtt://127.0.0.1:${port} (nothing listens there)`,
    });
    await expect(failureOf('mqtt://no-such-hub.invalid:8883', { rejectUnauthorized: true })).resolves.toMatchObject({
      kind: 'dns',
      message: expect.stringMatching(/^DNS lookup failed for no-such-hub\.invalid \((ENOTFOUND|EAI_AGAIN)\)$/),
    });
  });
});
