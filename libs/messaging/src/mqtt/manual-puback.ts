import type { MqttClient } from 'mqtt';

/**
 * Acknowledging a QoS 1 message later, ourselves, while mqtt.js goes on
 * reading packets. mqtt.js (pinned at 5.16.0) has no public API for it; all
 * this relies on is here, and test/messaging/mqtt-bus.test.ts ("mqtt.js
 * internals") fails should an upgrade change it:
 *
 * - For a QoS 1 PUBLISH, handlers/publish.js calls
 *   `client.handleMessage(packet, callback)` and reads no further packet until
 *   the callback is called. `callback()` would send the PUBACK at once;
 *   `callback(error)` sends none and moves on to the next packet.
 * - `client._sendPacket({ cmd: 'puback', messageId, reasonCode })` writes a
 *   PUBACK to the connection (it would queue it for the next connection when
 *   disconnected, which the caller never asks of it: a packet id belongs to
 *   one connection, and the broker sends an unacknowledged message again).
 */

/** Passed to handleMessage's callback so that mqtt.js sends no PUBACK of its own (it is not logged or thrown). */
export const ACK_LATER = new Error('acknowledged by the bus once the handler settled');

interface SendsPackets {
  _sendPacket(packet: { cmd: 'puback'; messageId: number; reasonCode: number }): void;
}

/** Fails at subscribe time, not at the first message, should mqtt.js no longer have what sendPuback uses. */
export function assertManualPuback(client: MqttClient): void {
  if (typeof (client as unknown as Partial<SendsPackets>)._sendPacket !== 'function') {
    throw new Error('mqtt.js has no _sendPacket any more: the durable subscriber cannot acknowledge messages itself (see manual-puback.ts)');
  }
}

/** Writes the PUBACK of `messageId` on the client's current connection (the caller checked it is the message's and is up). */
export function sendPuback(client: MqttClient, messageId: number): void {
  (client as unknown as SendsPackets)._sendPacket({ cmd: 'puback', messageId, reasonCode: 0 });
}
