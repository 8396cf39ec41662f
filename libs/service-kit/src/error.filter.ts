/**
 * Global exception filter: every error, whether thrown by a controller, a
 * guard, a fastify hook or fastify's body parsing, leaves as an EdgeX
 * ErrorResponse `{ apiVersion, statusCode, message }`. Server faults are logged
 * with their stack; client mistakes quietly (401/403 at info for auditing).
 */
import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { errorResponse } from './envelope';
import { describeError } from './errors';

@Catch()
export class EdgeXExceptionFilter implements ExceptionFilter {
  constructor(
    private readonly logger: Logger,
    private readonly maxBody?: number,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const { statusCode, message } = describeError(exception, {
      maxBody: this.maxBody,
      contentType: request.headers['content-type'],
    });

    const fields = { reqId: request.id, method: request.method, url: request.url, statusCode };
    if (statusCode >= 500) this.logger.error({ ...fields, err: exception }, message);
    else if (statusCode === 401 || statusCode === 403) this.logger.info(fields, message);
    else this.logger.debug(fields, message);

    if (reply.sent) return; // a streamed answer failed midway: nothing more can be sent
    reply.status(statusCode).type('application/json; charset=utf-8').send(errorResponse(statusCode, message));
  }
}
