import { Writable } from 'node:stream';
import { createLogger, NestPinoLogger } from './logger';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, stream };
}

describe('createLogger', () => {
  it('writes JSON lines with the service name and a level label', () => {
    const { lines, stream } = capture();
    createLogger('core-data', 'info', stream).info({ events: 3 }, 'stored');
    expect(lines[0]).toMatchObject({ service: 'core-data', level: 'info', events: 3, msg: 'stored' });
    expect(typeof lines[0].time).toBe('string');
  });

  it('never writes credentials that slip into a log call', () => {
    const { lines, stream } = capture();
    const log = createLogger('metadata', 'info', stream);
    log.info({ req: { headers: { authorization: 'Bearer abc', 'x-api-key': 'abc', host: 'h' } } }, 'req');
    log.info({ config: { apiKey: 'abc', port: 1 }, database: { password: 'pw' } }, 'config');
    expect(JSON.stringify(lines)).not.toContain('abc');
    expect(JSON.stringify(lines)).not.toContain('"pw"');
    expect(lines[0]).toMatchObject({ req: { headers: { authorization: '***', 'x-api-key': '***', host: 'h' } } });
  });

  it('respects the level', () => {
    const { lines, stream } = capture();
    const log = createLogger('x', 'warn', stream);
    log.info('hidden');
    log.warn('shown');
    expect(lines.map((l) => l.msg)).toEqual(['shown']);
  });
});

describe('NestPinoLogger', () => {
  it("maps Nest's calls to structured lines", () => {
    const { lines, stream } = capture();
    const nest = new NestPinoLogger(createLogger('metadata', 'debug', stream));
    nest.log('Mapped {/api/v3/ping, GET} route', 'RouterExplorer');
    nest.log('profile loaded', 'ProfileService');
    nest.error('boom', 'Error: boom\n    at x (y.js:1:1)', 'ExceptionsHandler');
    nest.warn({ deprecated: true }, 'Config');
    nest.error(new Error('failed'));
    expect(lines).toEqual([
      expect.objectContaining({ level: 'debug', context: 'RouterExplorer', msg: 'Mapped {/api/v3/ping, GET} route' }),
      expect.objectContaining({ level: 'info', context: 'ProfileService', msg: 'profile loaded' }),
      expect.objectContaining({ level: 'error', context: 'ExceptionsHandler', msg: 'boom', err: { stack: expect.stringContaining('at x') } }),
      expect.objectContaining({ level: 'warn', context: 'Config', deprecated: true }),
      expect.objectContaining({ level: 'error', msg: 'failed', err: expect.objectContaining({ message: 'failed' }) }),
    ]);
  });
});
