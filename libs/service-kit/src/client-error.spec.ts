import { createServer, Server, ServerResponse } from 'node:http';
import { AddressInfo, connect, Socket } from 'node:net';
import { clientErrorHandler } from './client-error';
import { createLogger } from './logger';

/**
 * A request node's parser refuses while a response on the same connection is
 * under way (a pipelined request): the answer must not be written into that
 * response. Node's HTTP server directly, with a response held half-written.
 */
describe('clientErrorHandler', () => {
  let server: Server;
  let held: ServerResponse | undefined;
  let port: number;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first part;');
      held = res; // finished by the test, or never
    });
    server.on('clientError', clientErrorHandler(createLogger('test', 'silent')));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  /** Sends `first`, waits for `until` in what comes back, sends `second`, and collects everything until the server closes. */
  const exchange = (first: string, second: string, until: string) =>
    new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      sockets.push(socket);
      let received = '';
      let sent = false;
      socket.on('data', (chunk) => {
        received += chunk.toString();
        if (!sent && received.includes(until)) {
          sent = true;
          socket.write(second);
        }
      });
      socket.on('error', reject);
      socket.on('close', () => resolve(received));
      socket.write(first);
    });

  const oversized = `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: gw\r\n\r\n`;

  it('writes nothing into a response already under way on that connection, and closes it', async () => {
    const received = await exchange('GET / HTTP/1.1\r\nHost: gw\r\n\r\n', oversized, 'first part;');
    expect(received).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(received).not.toContain('431');
    expect(received).not.toContain('apiVersion');
    held?.destroy();
  });

  it('answers in the EdgeX envelope when no response has begun', async () => {
    const socket = connect(port, '127.0.0.1');
    sockets.push(socket);
    const received = await new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('close', () => resolve(text));
      socket.write(oversized);
    });
    expect(received).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(received).toContain('"statusCode":431');
  });
});
