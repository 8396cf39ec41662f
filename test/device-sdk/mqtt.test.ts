/**
 * The key flow over the real Mosquitto on this machine: metadata's system
 * events and the device service's events cross MQTT, and a plain MQTT client
 * (any EdgeX-aware consumer) receives an autoEvent as an EdgeX envelope.
 */
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { createMessageBus, ManagedMessageBus } from '@gw/messaging';
import { Harness, bootHarness, testDevice } from './harness';

const MQTT_URL = process.env.GW_TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';

describe('device service over MQTT', () => {
  let bus: ManagedMessageBus;
  let h: Harness | undefined;
  let subscriber: mqtt.MqttClient | undefined;

  beforeAll(async () => {
    bus = createMessageBus({ type: 'mqtt', url: MQTT_URL, clientId: `gw-test-ds-${randomBytes(4).toString('hex')}` });
    await bus.connect();
  });

  afterAll(async () => {
    await h?.close();
    await subscriber?.endAsync();
    await bus?.close();
  });

  it('publishes autoEvents that an MQTT subscriber receives as EdgeX envelopes', async () => {
    h = await bootHarness({ bus });
    const topic = h.topics.deviceEvent(h.serviceName, 'Test-Sensor', 'Mqtt-1', 'Temperature');
    subscriber = await mqtt.connectAsync(MQTT_URL, { clientId: `gw-test-sub-${randomBytes(4).toString('hex')}` });
    const received = new Promise<{ topic: string; body: any }>((resolve) => {
      subscriber!.on('message', (t, payload) => resolve({ topic: t, body: JSON.parse(payload.toString()) }));
    });
    await subscriber.subscribeAsync(topic, { qos: 1 });

    h.driver.set('Mqtt-1', 'Temperature', 250);
    const added = await h.rest.batch('POST', '/device', 'device', [
      testDevice(h.serviceName, 'Mqtt-1', { autoEvents: [{ interval: '50ms', sourceName: 'Temperature' }] }),
    ]);
    expect(added.body[0].statusCode).toBe(201);

    const message = await received;
    expect(message.topic).toBe(topic);
    expect(message.body).toMatchObject({ apiVersion: 'v3', errorCode: 0, contentType: 'application/json' });
    expect(message.body.payload).toMatchObject({
      apiVersion: 'v3',
      requestId: expect.any(String),
      event: { deviceName: 'Mqtt-1', profileName: 'Test-Sensor', sourceName: 'Temperature' },
    });
    expect(Number(message.body.payload.event.readings[0].value)).toBeCloseTo(25, 4);
  });
});
