/**
 * What a service's port answers while the service waits for its broker or
 * database at start: GET /api/v3/ping 200 (the process is alive: no restart
 * loop from a health check), GET /api/v3/ready 503 naming what is missing,
 * everything else 503 in the EdgeX error envelope with Retry-After. Plain
 * node:http, no framework: it must be up in milliseconds, and it closes (with
 * every kept-alive connection) before the service itself listens on the port.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { API_VERSION } from '@gw/contracts';
import { listenError } from '../bootstrap';
import { ReadinessCheck, readinessReport } from './readiness';

export interface WaitingEndpoint {
  port: number;
  serviceName: string;
}

/** Seconds a client is told to wait before trying again. */
const RETRY_AFTER_S = 5;

export class WaitingServer {
  private constructor(private readonly servers: Server[]) {}

  /** Listens on every endpoint's port (port 0 is skipped: nobody could know where to look). */
  static async open(host: string, endpoints: readonly WaitingEndpoint[], checks: readonly ReadinessCheck[]): Promise<WaitingServer> {
    const servers: Server[] = [];
    try {
      for (const endpoint of endpoints.filter((e) => e.port !== 0)) {
        const server = createServer((request, response) => answer(request, response, endpoint.serviceName, checks));
        servers.push(server);
        await new Promise<void>((resolve, reject) => {
          server.once('error', (err) => reject(listenError(err, host, endpoint.port)));
          server.listen(endpoint.port, host, resolve);
        });
      }
    } catch (err) {
      await new WaitingServer(servers).close();
      throw err;
    }
    return new WaitingServer(servers);
  }

  /** Frees the ports: stops listening and ends every connection, idle or not. */
  async close(): Promise<void> {
    await Promise.all(
      this.servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            if (!server.listening) return resolve();
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
  }
}

function answer(request: IncomingMessage, response: ServerResponse, serviceName: string, checks: readonly ReadinessCheck[]): void {
  const path = (request.url ?? '').split('?')[0].replace(/\/+$/, '');
  const method = request.method ?? 'GET';
  // The body is never read: drop it instead of buffering it.
  request.resume();
  if ((method === 'GET' || method === 'HEAD') && path === '/api/v3/ping') {
    return send(response, 200, { apiVersion: API_VERSION, statusCode: 200, timestamp: new Date().toUTCString(), serviceName });
  }
  const report = readinessReport(serviceName, checks);
  if ((method === 'GET' || method === 'HEAD') && path === '/api/v3/ready') return send(response, report.statusCode, report);
  response.setHeader('retry-after', String(RETRY_AFTER_S));
  send(response, 503, { apiVersion: API_VERSION, statusCode: 503, message: `${serviceName} is starting: ${report.message ?? 'almost there'}` });
}

function send(response: ServerResponse, status: number, body: object): void {
  const json = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  response.end(response.req.method === 'HEAD' ? undefined : json);
}
