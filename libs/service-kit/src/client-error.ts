/**
 * Requests node's HTTP parser refuses before fastify sees them: a request
 * line and headers beyond node's limit (--max-http-header-size, 16 KiB by
 * default), typically an oversized URL (431), one that stalled (408), or
 * bytes that are not HTTP (400). They get the EdgeX error envelope like every
 * other error, instead of fastify's own body; the connection is closed.
 * As in node's own handler, nothing is written once a response on that
 * connection has begun (a pipelined request after it): our bytes would land
 * inside that response; the connection is only closed.
 */
import { maxHeaderSize, ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { errorResponse } from './envelope';
import type { Logger } from './logger';

/** What node attaches to a socket: the response being written on it, if any. */
type HttpSocket = Socket & { _httpMessage?: ServerResponse | null };

export function clientErrorHandler(logger: Logger): (err: Error & { code?: string }, socket: Socket) => void {
  return (err, socket: HttpSocket) => {
    // A reset connection has nobody left to answer.
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const [statusCode, message] = describe(err.code);
    logger.debug({ code: err.code, statusCode }, message);
    if (socket.writable && !socket._httpMessage?.headersSent) {
      const body = JSON.stringify(errorResponse(statusCode, message));
      socket.write(
        `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy();
  };
}

function describe(code: string | undefined): [number, string] {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return [431, `request URL and headers exceed ${maxHeaderSize} bytes: send large data in the request body`];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, 'request not received in time'];
    default:
      return [400, `malformed HTTP request${code ? ` (${code})` : ''}`];
  }
}
