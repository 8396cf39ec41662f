/**
 * Bytes of the MQTT 5 PUBLISH packet mqtt.js writes for a QoS 1 message
 * without properties: fixed header (type byte and Remaining Length), topic
 * (length-prefixed), packet identifier, properties length (0), payload. This
 * is the size a broker's Maximum Packet Size bounds.
 */
export function publishPacketBytes(topic: string, payloadBytes: number): number {
  const remaining = 2 + Buffer.byteLength(topic, 'utf8') + 2 + 1 + payloadBytes;
  return 1 + varIntBytes(remaining) + remaining;
}

/** Length of an MQTT Variable Byte Integer: 7 bits a byte. */
function varIntBytes(n: number): number {
  if (n < 128) return 1;
  if (n < 16_384) return 2;
  if (n < 2_097_152) return 3;
  return 4;
}
