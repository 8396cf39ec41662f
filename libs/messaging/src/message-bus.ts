/**
 * The one message-bus seam every service uses. Implementations: memory/ (one
 * process), mqtt/ (mqtt.js), redis/ (node-redis). All of them pass the same
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

/**
 * What a handler of a durable subscription throws (or rejects with) to leave
 * its message unacknowledged: the broker keeps it and hands it to the next
 * session of the durable name (after a restart, or a reconnect), instead of
 * it counting as handled. For a service that is stopping and could not
 * finish the message (core-data whose database failed through its stop); in
 * a plain subscription it is a handler error like any other.
 */
export class HandBack extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'HandBack';
  }
}

export interface SubscribeOptions {
  /**
   * A durable subscriber name. Messages published while the subscriber is away
   * are kept by the broker and delivered when it subscribes again with the same
   * name (at least once: acknowledged only after the handler resolves). Without
   * it the subscription is fire-and-forget.
   */
  durable?: string;
  /**
   * Durable subscriptions only: how many messages may be handed to the handler
   * and not yet acknowledged. The handler is called for the next message
   * without waiting for earlier calls to resolve (in arrival order), and each
   * message is acknowledged when its own call resolves (or rejects: counted,
   * logged, acknowledged), possibly out of order. A message whose call has not
   * resolved when the subscriber dies comes again. Default 1: strictly one at
   * a time, in order.
   */
  maxInFlight?: number;
  /**
   * Messages larger than this many bytes are skipped before they are parsed
   * (a 20 MB message would cost hundreds of MB as objects): counted as
   * malformed, logged (throttled), acknowledged, and told to onOversized.
   */
  maxMessageBytes?: number;
  onOversized?: (topic: string, bytes: number) => void;
}

/** The part of SubscribeOptions a delivery checks before decoding. */
export type MessageLimit = Pick<SubscribeOptions, 'maxMessageBytes' | 'onOversized'>;

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

/** Counters every implementation keeps; exposed for /metrics and for tests. */
export interface BusStats {
  /** Messages the broker accepted from this bus. */
  published: number;
  /** Handler invocations that resolved. */
  delivered: number;
  /** Wire messages that were not a valid envelope: logged, counted and skipped. */
  malformed: number;
  /**
   * Durable messages acknowledged: PUBACK written (MQTT), XACK answered
   * (Redis), released from the in-process window.
   */
  acknowledged: number;
  /** Handler invocations that threw or rejected: logged, counted, the message is considered handled. */
  handlerErrors: number;
  /** Durable messages their handler handed back (HandBack): left unacknowledged for the next session. */
  handedBack: number;
  /** Messages dropped because a bounded queue was full (oldest first). */
  dropped: number;
  /** Successful reconnections after a lost broker connection (each one told to onReconnect listeners). */
  reconnects: number;
  /**
   * Messages handed to handlers and not settled yet (for a durable
   * subscription: not acknowledged yet), across every subscription: how far
   * the consumers trail what the broker has already given them.
   */
  inFlight: number;
}

/**
 * What `createMessageBus` returns: the MessageBus seam plus the operational
 * surface a service needs for health checks, metrics and decommissioning.
 */
export interface ManagedMessageBus extends MessageBus {
  /** True while the broker connection is up (false during an outage and before connect()). */
  readonly connected: boolean;
  stats(): BusStats;
  /**
   * Calls `listener` each time the bus is connected again after losing its
   * broker (not at the first connect()), with its plain subscriptions back in
   * place: what was published meanwhile is lost to them, so this is the moment
   * to reload what they keep current. Listeners run in the order added; one
   * that throws is logged and the others still run. Returns the function that
   * removes it. The in-process bus never loses its broker, so never calls it.
   */
  onReconnect(listener: () => void): () => void;
  /**
   * Forgets a durable subscriber for good: its broker-side queue (MQTT session,
   * Redis consumer group, in-process queue) is discarded. `unsubscribe()` only
   * pauses a durable subscription; this is the way to remove one.
   */
  deleteDurable(name: string): Promise<void>;
}
