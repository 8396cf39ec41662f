/**
 * core-command's API over the message bus: a request on
 * `core/command/request/{device}/{command}/{get|set}` runs exactly like the
 * REST call and is answered on `response/core-command/{requestId}`, the way
 * device services answer core-command (errorCode 0 with the payload, or 1
 * with `{ statusCode, message }`).
 */
import { API_VERSION, Topics } from '@gw/contracts';
import { MessageBus, MessageEnvelope, Subscription, newEnvelope } from '@gw/messaging';
import { Logger, describeError } from '@gw/service-kit';
import type { CoreCommandService } from '../domain/core-command.service';
import { parseCommandTopic } from './command-topic';
import { ConcurrencyLimit } from './concurrency-limit';

/** The name callers put in the response topic, as EdgeX's service key. */
export const CORE_COMMAND_SERVICE_KEY = 'core-command';

export class BusCommandApi {
  private subscription?: Subscription;
  private readonly slots: ConcurrencyLimit;

  constructor(
    private readonly bus: Pick<MessageBus, 'subscribe' | 'publish'>,
    private readonly topics: Topics,
    private readonly commands: Pick<CoreCommandService, 'execute'>,
    private readonly log: Pick<Logger, 'warn' | 'error'>,
    concurrency: number,
  ) {
    this.slots = new ConcurrencyLimit(concurrency);
  }

  async start(): Promise<void> {
    this.subscription = await this.bus.subscribe(this.topics.allCoreCommandRequests(), (envelope, topic) =>
      this.accept(envelope, topic),
    );
  }

  /** Stops taking requests and waits for those in flight (each bounded by the command timeout) to be answered. */
  async stop(): Promise<void> {
    const subscription = this.subscription;
    this.subscription = undefined;
    await subscription?.unsubscribe();
    await this.slots.idle();
  }

  // Commands wait on their device services concurrently: one slow device must not hold up the next request.
  private async accept(envelope: MessageEnvelope, topic: string): Promise<void> {
    await this.slots.acquire();
    void this.handle(envelope, topic).finally(() => this.slots.release());
  }

  private async handle(request: MessageEnvelope, topic: string): Promise<void> {
    const requestId = request.requestID;
    if (!requestId) {
      this.log.warn({ topic }, 'core-command: bus command without requestID dropped: nobody could match the answer');
      return;
    }
    const correlationID = request.correlationID || undefined;
    let reply: MessageEnvelope;
    try {
      const address = parseCommandTopic(this.topics, topic);
      const payload = await this.commands.execute({
        ...address,
        query: request.queryParams,
        body: bodyOf(request.payload),
        requestId,
        correlationId: correlationID,
      });
      reply = newEnvelope(payload, { requestID: requestId, correlationID });
    } catch (err) {
      const { statusCode, message } = describeError(err);
      if (statusCode === 500) this.log.error({ topic, requestId, err }, message);
      reply = newEnvelope(
        { apiVersion: API_VERSION, requestId, statusCode, message },
        { requestID: requestId, correlationID, errorCode: 1 },
      );
    }
    try {
      await this.bus.publish(this.topics.response(CORE_COMMAND_SERVICE_KEY, requestId), reply);
    } catch (err) {
      this.log.warn(
        { topic, requestId, error: err instanceof Error ? err.message : String(err) },
        'core-command: could not publish the answer to a bus command',
      );
    }
  }
}

/** Some EdgeX clients put the SET body in the payload as JSON text rather than inline. */
function bodyOf(payload: unknown): unknown {
  if (typeof payload !== 'string') return payload;
  try {
    return JSON.parse(payload);
  } catch {
    return payload;
  }
}
