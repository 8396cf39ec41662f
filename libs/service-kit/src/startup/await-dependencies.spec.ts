import { createServer } from 'node:net';
import { ErrorKind, GatewayError, ManualClock } from '@gw/contracts';
import { createLogger } from '../logger';
import { awaitDependencies, Dependency } from './await-dependencies';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A dependency whose attempts the test answers one by one. */
function scripted(name: string) {
  const attempts: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  let arrived: () => void = () => undefined;
  const dependency: Dependency = {
    name,
    target: `${name} at somewhere:1`,
    connect: () => new Promise<void>((resolve, reject) => (attempts.push({ resolve, reject }), arrived())),
    worthWaiting: (err) => !GatewayError.is(err, ErrorKind.Config),
  };
  const nextAttempt = async () => {
    if (attempts.length === 0) await new Promise<void>((resolve) => (arrived = resolve));
    return attempts.shift()!;
  };
  return { dependency, nextAttempt };
}

async function get(port: number, path: string): Promise<{ status: number; body: any; retryAfter: string | null }> {
  const response = await fetch(`http://127.0.0.1:${port}/api/v3/${path}`);
  return { status: response.status, body: await response.json(), retryAfter: response.headers.get('retry-after') };
}

describe('waiting for dependencies at start', () => {
  const logger = createLogger('test', 'silent');

  it('answers ping and names what is missing on /ready until everything is there, then frees the port', async () => {
    const port = await freePort();
    const clock = new ManualClock();
    const bus = scripted('message bus');
    const database = scripted('database');
    const done = awaitDependencies([bus.dependency, database.dependency], {
      logger,
      host: '127.0.0.1',
      endpoints: [{ port, serviceName: 'core-data' }],
      clock,
    });

    (await bus.nextAttempt()).reject(new Error('connect ECONNREFUSED 10.0.0.5:1883'));
    expect(await get(port, 'ping')).toMatchObject({ status: 200, body: { serviceName: 'core-data', statusCode: 200 } });
    const waiting = await get(port, 'ready');
    expect(waiting.status).toBe(503);
    expect(waiting.body).toMatchObject({
      ready: false,
      serviceName: 'core-data',
      checks: [
        { name: 'message bus', ready: false, problem: expect.stringMatching(/^connect ECONNREFUSED 10.0.0.5:1883; attempt 1, next in \d+ s$/) },
        { name: 'database', ready: false, problem: 'not tried yet' },
      ],
    });
    expect(waiting.body.message).toMatch(/^waiting for message bus \(connect ECONNREFUSED/);
    const other = await get(port, 'device/all');
    expect(other).toMatchObject({ status: 503, retryAfter: '5', body: { statusCode: 503, message: expect.stringMatching(/^core-data is starting: waiting for message bus/) } });

    // The next attempt comes after the back-off, on the clock.
    await clock.advance(30_000);
    (await bus.nextAttempt()).resolve();
    (await database.nextAttempt()).resolve();
    await done;
    await expect(fetch(`http://127.0.0.1:${port}/api/v3/ping`)).rejects.toThrow(); // the service may listen now
  });

  it('stops waiting at a failure that waiting cannot fix, freeing the port', async () => {
    const port = await freePort();
    const database = scripted('database');
    const done = awaitDependencies([database.dependency], { logger, host: '127.0.0.1', endpoints: [{ port, serviceName: 'core-metadata' }] });
    (await database.nextAttempt()).reject(new GatewayError(ErrorKind.Config, 'password authentication failed'));
    await expect(done).rejects.toThrow('password authentication failed');
    await expect(fetch(`http://127.0.0.1:${port}/api/v3/ping`)).rejects.toThrow();
  });

  it('refuses a port that is taken as a setting to change, naming it', async () => {
    const taken = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => taken.once('listening', resolve));
    const { port } = taken.address() as { port: number };
    const database = scripted('database');
    const done = awaitDependencies([database.dependency], { logger, host: '127.0.0.1', endpoints: [{ port, serviceName: 'core-data' }] });
    await expect(done).rejects.toMatchObject({ kind: ErrorKind.Config, message: `cannot listen on 127.0.0.1:${port}: EADDRINUSE` });
    taken.close();
  });
});
