/**
 * The one message-bus seam every service uses. Implementations: memory/ (one
 * process), mqtt/ (mqtt.js), redis/ (ioredis). All of them pass the same
 * contract suite in test/messaging.
 */

/** EdgeX v3 MessageEnvelope, JSON on the wire, payload inline (not base64). */
export interface MessageEnvelope<P = unknown> {
  apiVersion: string;
  receivedTopic: string;
  correlationID: string;
  requestID: string;
  errorCode: number;
  payload: P;
  contentType: string;
  queryParams?: Record<string, string>;
}

export type MessageHandler = (envelope: MessageEnvelope, topic: string) => void | Promise<void>;

export interface SubscribeOptions {
  /**
   * A durable subscriber name. Messages published while the subscriber is away
   * are kept by the broker and delivered when it subscribes again with the same
   * name (at least once: acknowledged only after the handler resolves). Without
   * it the subscription is fire-and-forget.
   */
  durable?: string;
}

export interface Subscription {
  unsubscribe(): Promise<void>;
}

export interface RequestOptions {
  /** Topic the responder publishes the answer on; it must carry the request's requestID. */
  responseTopic: string;
  timeoutMs: number;
}

export interface MessageBus {
  readonly kind: 'memory' | 'mqtt' | 'redis';
  connect(): Promise<void>;
  /** Resolves once the broker has accepted the message (QoS 1 / XADD). */
  publish(topic: string, envelope: MessageEnvelope): Promise<void>;
  /** `filter` uses MQTT wildcards: `+` one level, `#` the rest (last level only). */
  subscribe(filter: string, handler: MessageHandler, options?: SubscribeOptions): Promise<Subscription>;
  /** Publishes and waits for the envelope whose requestID matches; rejects with a Timeout GatewayError. */
  request(topic: string, envelope: MessageEnvelope, options: RequestOptions): Promise<MessageEnvelope>;
  close(): Promise<void>;
}
