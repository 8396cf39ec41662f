/** Settings every broker-backed bus understands. */
export interface BusConnectionOptions {
  url: string;
  clientId?: string;
  username?: string;
  password?: string;
  tls?: BusTlsConfig;
  /**
   * Publishes not yet acknowledged by the broker (in flight plus waiting,
   * e.g. during an outage). Beyond it publish() rejects with a Communication
   * error instead of growing without bound.
   */
  publishQueueLimit?: number;
  /** Messages waiting for one subscription's handler; the oldest are dropped beyond it. */
  deliveryQueueLimit?: number;
  /** How long connect() waits for the first connection before it gives up. */
  connectTimeoutMs?: number;
  /** Delay between reconnection attempts after the broker went away. */
  reconnectPeriodMs?: number;
  /**
   * The largest message the bus sends, in bytes. A broker drops the connection
   * of a client that sends more than it takes (and mqtt.js would send the
   * message again on every reconnect), so a larger publish is refused before
   * anything is sent, with a PayloadTooLarge error. MQTT: the whole PUBLISH
   * packet, used when the broker announces no Maximum Packet Size of its own
   * in CONNACK (Mosquitto announces its max_packet_size, and that wins).
   * Redis, which announces nothing: the message, as its proto-max-bulk-len.
   */
  maxPacketBytes?: number;
}

/** PEM strings or buffers; file paths are the caller's business (config loading reads them). */
export interface BusTlsConfig {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Defaults to true; turn off only for a lab broker with a self-signed certificate. */
  rejectUnauthorized?: boolean;
}

export const DEFAULT_PUBLISH_QUEUE_LIMIT = 10_000;
export const DEFAULT_DELIVERY_QUEUE_LIMIT = 100_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
export const DEFAULT_RECONNECT_PERIOD_MS = 1_000;
/** 5 MiB: what the shipped Mosquitto (max_packet_size) and Redis (proto-max-bulk-len) take. */
export const DEFAULT_MAX_PACKET_BYTES = 5 * 1024 * 1024;
