/**
 * The MQTT and Redis buses over TLS (mqtts://, rediss://), against a private
 * Mosquitto and redis-server with a throwaway CA: the settings an operator
 * gives through GW_BUS_TLS_* reach the connection, a broker whose certificate
 * the CA did not sign is refused at once with the reason, and mutual TLS works.
 */
import { randomUUID } from 'node:crypto';
import { ErrorKind, GatewayError } from '@gw/contracts';
import { BusConfig, BusTlsConfig, createMessageBus, ManagedMessageBus, newEnvelope } from '@gw/messaging';
import { BrokerProcess, BrokerTls, startMosquitto, startRedis } from '@gw/test-support/brokers';
import { makeTestPki, TestPki } from '@gw/test-support/tls';
import { uniqueBase, uniqueName } from './bus-contract';
import { Collector } from './helpers';

jest.setTimeout(60_000);

type Kind = 'mqtt' | 'redis';
const start = (kind: Kind, tls: BrokerTls) => (kind === 'mqtt' ? startMosquitto({ tls }) : startRedis({ tls }));

describe.each<Kind>(['mqtt', 'redis'])('%s bus over TLS', (kind) => {
  let pki: TestPki;
  let broker: BrokerProcess;
  let mutual: BrokerProcess;
  const opened: ManagedMessageBus[] = [];

  const newBus = (url: string, tls: BusTlsConfig | undefined): ManagedMessageBus => {
    const config: BusConfig = {
      type: kind,
      url,
      tls,
      clientId: `gwt-${randomUUID().slice(0, 8)}`,
      // Long enough that a refusal which waited for it would show in the message ("within 20000 ms").
      connectTimeoutMs: 20_000,
      reconnectPeriodMs: 200,
      ...(kind === 'mqtt' ? { sessionExpirySec: 60 } : {}),
    };
    const bus = createMessageBus(config);
    opened.push(bus);
    return bus;
  };

  /** Events (durable: a persistent session or a stream) and a plain subscription both arrive. */
  const expectDelivery = async (bus: ManagedMessageBus) => {
    const base = uniqueBase();
    const durable = new Collector();
    const plain = new Collector();
    await bus.subscribe(`${base}/events/#`, durable.handler, { durable: uniqueName('tls') });
    await bus.subscribe(`${base}/plain/#`, plain.handler);
    await bus.publish(`${base}/events/device/a`, newEnvelope({ n: 1 }));
    await bus.publish(`${base}/plain/b`, newEnvelope({ n: 2 }));
    await durable.count(1);
    await plain.count(1);
    expect(durable.payloads()).toEqual([{ n: 1 }]);
    expect(plain.payloads()).toEqual([{ n: 2 }]);
  };

  const refusal = async (bus: ManagedMessageBus): Promise<GatewayError> => {
    const err = await bus.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GatewayError);
    return err as GatewayError;
  };

  beforeAll(async () => {
    pki = makeTestPki();
    const server = { ca: pki.files.ca, cert: pki.files.serverCert, key: pki.files.serverKey };
    broker = await start(kind, server);
    mutual = await start(kind, { ...server, requireClientCert: true });
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((b) => b.close()));
  });

  afterAll(async () => {
    await broker?.dispose();
    await mutual?.dispose();
    pki?.dispose();
  });

  it('connects with the CA that signed the broker certificate and delivers', async () => {
    expect(broker.url).toMatch(kind === 'mqtt' ? /^mqtts:/ : /^rediss:/);
    const bus = newBus(broker.url, { ca: pki.pem.ca });
    await bus.connect();
    await expectDelivery(bus);
  });

  it('refuses a broker whose certificate the given CA did not sign, at once and saying why', async () => {
    const err = await refusal(newBus(broker.url, { ca: pki.pem.otherCa }));
    expect(err.kind).toBe(ErrorKind.Communication);
    expect(err.message).toMatch(/TLS certificate is not accepted: self-signed certificate in certificate chain .*GW_BUS_TLS_CA/);
    expect(err.message).not.toMatch(/within 20000 ms/);
  });

  it('refuses it too without a CA (the system trust store does not know it)', async () => {
    const err = await refusal(newBus(broker.url, undefined));
    expect(err.message).toMatch(/TLS certificate is not accepted/);
  });

  it('connects to it without verification only when told to (a lab broker)', async () => {
    const bus = newBus(broker.url, { rejectUnauthorized: false });
    await bus.connect();
    await expectDelivery(bus);
  });

  it('authenticates with a client certificate to a broker that requires one (mutual TLS)', async () => {
    const bus = newBus(mutual.url, { ca: pki.pem.ca, cert: pki.pem.clientCert, key: pki.pem.clientKey });
    await bus.connect();
    await expectDelivery(bus);
  });

  it('is refused by that broker without a client certificate, saying so', async () => {
    const err = await refusal(newBus(mutual.url, { ca: pki.pem.ca }));
    expect(err.kind).toBe(ErrorKind.Communication);
    expect(err.message).toMatch(/certificate required .*the broker wants a client certificate \(GW_BUS_TLS_CERT and GW_BUS_TLS_KEY\)/);
    expect(err.message).not.toMatch(/within 20000 ms/);
  });
});
