/**
 * Sends one command to the device service that owns the device, over the bus
 * with request/reply, and reads its answer. A device service that does not
 * answer in time is a 504; a bus that cannot take the request a 503.
 */
import { ErrorKind, GatewayError, Topics } from '@gw/contracts';
import { MessageBus, newEnvelope } from '@gw/messaging';
import { Logger, statusForKind } from '@gw/service-kit';
import { CommandLabel, SuccessPayload, readReply } from './device-service-reply';

export interface ForwardRequest extends CommandLabel {
  requestId: string;
  correlationId?: string;
  queryParams: Record<string, string>;
  /** SET: `{ resourceName: value }`; GET: nothing. */
  payload?: Record<string, unknown>;
}

export class CommandForwarder {
  constructor(
    private readonly bus: Pick<MessageBus, 'request'>,
    private readonly topics: Topics,
    private readonly timeoutMs: number,
    private readonly log: Pick<Logger, 'debug'>,
  ) {}

  async forward(request: ForwardRequest): Promise<SuccessPayload> {
    const { serviceName, deviceName, commandName, method, requestId } = request;
    const started = performance.now();
    const envelope = newEnvelope(request.payload ?? {}, {
      requestID: requestId,
      correlationID: request.correlationId,
      queryParams: request.queryParams,
    });
    let statusCode = 200;
    try {
      const reply = await this.bus
        .request(this.topics.commandRequest(serviceName, deviceName, commandName, method), envelope, {
          responseTopic: this.topics.response(serviceName, requestId),
          timeoutMs: this.timeoutMs,
        })
        .catch((err: unknown) => {
          throw this.busFailure(err, request);
        });
      return readReply(reply, request);
    } catch (err) {
      statusCode = GatewayError.is(err) ? statusForKind(err.kind) : 500;
      throw err;
    } finally {
      const ms = Math.round((performance.now() - started) * 10) / 10;
      this.log.debug(
        { device: deviceName, command: commandName, method, requestId, deviceService: serviceName, statusCode, ms },
        'command forwarded',
      );
    }
  }

  private busFailure(err: unknown, request: ForwardRequest): GatewayError {
    const what = `${request.method} '${request.commandName}' on device '${request.deviceName}'`;
    if (GatewayError.is(err, ErrorKind.Timeout)) {
      return new GatewayError(
        ErrorKind.Timeout,
        `${what}: device service '${request.serviceName}' did not answer within ${this.timeoutMs} ms`,
        { cause: err },
      );
    }
    const reason = err instanceof Error ? err.message : String(err);
    return new GatewayError(ErrorKind.ServiceUnavailable, `${what}: the message bus did not take the request: ${reason}`, { cause: err });
  }
}
