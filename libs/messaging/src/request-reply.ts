import { randomUUID } from 'node:crypto';
import { ErrorKind, GatewayError } from '@gw/contracts';
import type { BusLogger } from './logger';
import type { MessageBus, MessageEnvelope, RequestOptions, Subscription } from './message-bus';

/**
 * Request/reply on top of publish/subscribe, identical for every broker:
 * subscribe to the response topic first (so a fast responder cannot beat us),
 * publish, take the first envelope carrying our requestID, and always
 * unsubscribe. The deadline covers the whole exchange, including a publish
 * that is stuck in an outage queue.
 */
export async function requestReply(
  bus: Pick<MessageBus, 'publish' | 'subscribe'>,
  topic: string,
  envelope: MessageEnvelope,
  options: RequestOptions,
  logger: BusLogger,
): Promise<MessageEnvelope> {
  const { responseTopic, timeoutMs } = options;
  if (!(timeoutMs > 0)) throw new GatewayError(ErrorKind.ContractInvalid, `request timeoutMs must be > 0, got ${timeoutMs}`);
  // A request without an id could never be matched with its answer.
  const request = envelope.requestID ? envelope : { ...envelope, requestID: randomUUID() };

  let timer: NodeJS.Timeout | undefined;
  let settle!: (reply: MessageEnvelope) => void;
  const reply = new Promise<MessageEnvelope>((resolve) => (settle = resolve));
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new GatewayError(
            ErrorKind.Timeout,
            `no reply to request ${request.requestID} on "${responseTopic}" within ${timeoutMs} ms (request topic "${topic}")`,
          ),
        ),
      timeoutMs,
    );
  });

  let subscription: Subscription | undefined;
  const subscribed = bus
    .subscribe(responseTopic, (response) => {
      if (response.requestID === request.requestID) settle(response);
    })
    .then((s) => (subscription = s));
  const exchange = subscribed.then(() => bus.publish(topic, request)).then(() => reply);
  // Once the deadline has won, a late failure of the exchange is moot.
  exchange.catch(() => undefined);

  try {
    return await Promise.race([exchange, deadline]);
  } finally {
    clearTimeout(timer);
    if (subscription) {
      await release(subscription, logger, responseTopic);
    } else {
      // The deadline fired while subscribe() was pending: release it once it exists.
      subscribed.then((s) => release(s, logger, responseTopic)).catch(() => undefined);
    }
  }
}

async function release(subscription: Subscription, logger: BusLogger, responseTopic: string): Promise<void> {
  try {
    await subscription.unsubscribe();
  } catch (err) {
    logger.warn(
      {
        responseTopic,
        error: err instanceof Error ? err.message : String(err),
      },
      'message bus: could not release a response subscription',
    );
  }
}
