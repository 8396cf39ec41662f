import { randomBytes } from 'node:crypto';
import { Topics } from '@gw/contracts';
import { ManagedMessageBus, MessageBus, createMessageBus } from '@gw/messaging';
import { RunningCoreCommand } from '../../apps/core-command/src/core-command.app';
import { SERVICE, SeededMetadata, TestResponder, busCommand, call, startTestCoreCommand, uniqueTopicBase } from './support';

const BROKER = process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883';

/**
 * core-command, the device service and the caller as separate clients of the
 * machine's Mosquitto, as in docker compose (metadata keeps its in-process bus:
 * commands never touch it). A private topic base keeps parallel runs apart.
 */
describe('core-command over MQTT (Mosquitto)', () => {
  const topicBase = uniqueTopicBase();
  const topics = new Topics(topicBase);
  const run = randomBytes(3).toString('hex');
  const buses: ManagedMessageBus[] = [];
  let metadataBus: MessageBus;
  let metadata: SeededMetadata;
  let core: RunningCoreCommand;
  let responder: TestResponder;
  let caller: MessageBus;

  const mqttBus = async (name: string) => {
    const bus = createMessageBus({ type: 'mqtt', url: BROKER, clientId: `gw-test-${name}-${run}`, connectTimeoutMs: 5_000 });
    buses.push(bus);
    await bus.connect();
    return bus;
  };

  beforeAll(async () => {
    metadataBus = createMessageBus({ type: 'memory' });
    await metadataBus.connect();
    metadata = await SeededMetadata.start(metadataBus, topicBase);
    core = await startTestCoreCommand(await mqttBus('core-command'), metadata.url, topicBase, 2_000);
    responder = new TestResponder(await mqttBus('device-test'), topics, SERVICE);
    await responder.start();
    caller = await mqttBus('caller');
  });

  afterAll(async () => {
    await responder?.stop();
    await core?.close();
    await Promise.all(buses.map((bus) => bus.close()));
    await metadata?.close();
    await metadataBus?.close();
  });

  it('carries a REST GET to the device service and its event back', async () => {
    const reply = await call(core.url, 'GET', '/device/name/Pump-1/Speed?ds-pushevent=true');
    expect(reply.status).toBe(200);
    expect(reply.body.event).toMatchObject({ deviceName: 'Pump-1', sourceName: 'Speed', readings: [{ value: '1450' }] });
    const [{ topic, envelope }] = responder.requests.received;
    expect(topic).toBe(topics.commandRequest(SERVICE, 'Pump-1', 'Speed', 'get'));
    expect(envelope.queryParams).toEqual({ 'ds-pushevent': 'true', 'ds-returnevent': 'true' });
  });

  it('runs a SET sent to its bus API and answers on response/core-command/{requestId}', async () => {
    const reply = await busCommand(caller, topics, 'Pump-1', 'Drive', 'set', { Speed: '640', Raw: '3' });
    expect(reply.errorCode).toBe(0);
    expect(reply.payload).toEqual({ apiVersion: 'v3', requestId: reply.requestID, statusCode: 200 });
    expect(responder.requests.received.at(-1)?.envelope.payload).toEqual({ Speed: '640', Raw: '3' });

    const refused = await busCommand(caller, topics, 'Pump-1', 'Temperature', 'set', { Temperature: '1' });
    expect(refused.errorCode).toBe(1);
    expect(refused.payload).toMatchObject({ statusCode: 405, requestId: refused.requestID });
  });
});
