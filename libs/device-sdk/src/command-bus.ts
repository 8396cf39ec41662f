/**
 * Device commands over the message bus, as core-command sends them: requests
 * on `device/command/request/{service}/{device}/{command}/{get|set}`, answers
 * on `response/{service}/{requestId}` with the request's requestID (errorCode
 * 0 and the EdgeX response DTO, or errorCode 1 and an ErrorResponse whose
 * statusCode is what REST would have answered). Commands run concurrently
 * (the bus hands one message at a time to a subscription; a slow device must
 * not hold up the others), at most `maxConcurrent` at once: beyond that the
 * request is answered 503 at once.
 */
import { API_VERSION, ErrorKind, GatewayError, Topics } from '@gw/contracts';
import { MessageBus, MessageEnvelope, newEnvelope, Subscription } from '@gw/messaging';
import { describeError } from '@gw/service-kit';
import type { CommandExecutor } from './command-executor';
import { commandFlags, setFlags } from './command-flags';
import type { SdkLogger } from './log';

export const DEFAULT_MAX_CONCURRENT_COMMANDS = 256;

export interface CommandTarget {
  deviceName: string;
  commandName: string;
  method: 'get' | 'set';
}

/** The last three levels of a command request topic (the topic base may itself hold slashes). */
export function parseCommandTopic(topic: string): CommandTarget | undefined {
  const levels = topic.split('/');
  if (levels.length < 4) return undefined;
  const method = levels[levels.length - 1];
  if (method !== 'get' && method !== 'set') return undefined;
  return { deviceName: levels[levels.length - 3], commandName: levels[levels.length - 2], method };
}

export class CommandBus {
  private subscription?: Subscription;
  private inFlight = 0;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly bus: MessageBus,
    private readonly topics: Topics,
    private readonly serviceName: string,
    private readonly executor: CommandExecutor,
    private readonly logger: SdkLogger,
    private readonly maxConcurrent = DEFAULT_MAX_CONCURRENT_COMMANDS,
  ) {}

  async start(): Promise<void> {
    this.subscription = await this.bus.subscribe(this.topics.commandRequestsFor(this.serviceName), (envelope, topic) =>
      this.received(envelope, topic),
    );
  }

  /** Stops taking requests and waits for those still running to answer. */
  async close(): Promise<void> {
    await this.subscription?.unsubscribe().catch(() => undefined);
    this.subscription = undefined;
    await Promise.all([...this.pending]);
  }

  private received(envelope: MessageEnvelope, topic: string): void {
    const requestId = envelope.requestID;
    if (!requestId) {
      this.logger.warn({ topic }, 'command request without a requestID ignored: there is nowhere to answer');
      return;
    }
    const run =
      this.inFlight >= this.maxConcurrent
        ? this.answer(envelope, topic, () => {
            throw new GatewayError(ErrorKind.ServiceUnavailable, `${this.maxConcurrent} commands are already running; try again`);
          })
        : this.answer(envelope, topic, () => this.execute(envelope, topic));
    this.pending.add(run);
    void run.finally(() => this.pending.delete(run));
  }

  private async execute(envelope: MessageEnvelope, topic: string): Promise<object> {
    const target = parseCommandTopic(topic);
    if (!target) throw new GatewayError(ErrorKind.ContractInvalid, `${topic} is not a command request topic`);
    if (target.method === 'get') {
      const event = await this.executor.get(target.deviceName, target.commandName, commandFlags(envelope.queryParams));
      return event ? { event } : {};
    }
    await this.executor.set(target.deviceName, target.commandName, envelope.payload, setFlags(envelope.queryParams));
    return {};
  }

  private async answer(envelope: MessageEnvelope, topic: string, work: () => Promise<object>): Promise<void> {
    const requestId = envelope.requestID;
    this.inFlight++;
    let reply: MessageEnvelope;
    try {
      const body = await work();
      reply = newEnvelope({ apiVersion: API_VERSION, requestId, statusCode: 200, ...body }, this.replyOptions(envelope, 0));
    } catch (err) {
      const { statusCode, message } = describeError(err);
      const log = statusCode >= 500 ? 'warn' : 'debug';
      this.logger[log]({ topic, requestId, statusCode, err: message }, 'bus command failed');
      reply = newEnvelope({ apiVersion: API_VERSION, requestId, statusCode, message }, this.replyOptions(envelope, 1));
    } finally {
      this.inFlight--;
    }
    const responseTopic = this.topics.response(this.serviceName, requestId);
    await this.bus.publish(responseTopic, reply).catch((err: unknown) => {
      this.logger.warn({ topic: responseTopic, requestId, err: (err as Error).message }, 'command response not published');
    });
  }

  private replyOptions(envelope: MessageEnvelope, errorCode: number) {
    return { requestID: envelope.requestID, correlationID: envelope.correlationID || undefined, errorCode };
  }
}
