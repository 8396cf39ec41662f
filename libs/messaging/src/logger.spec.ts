import { Writable } from 'node:stream';
import pino from 'pino';
import { DeliveryContext } from './delivery';
import { createMessageBus } from './factory';
import { BusLogger, silentLogger, ThrottledLog } from './logger';

// Type-level checks (`tsc --noEmit`; Jest via swc does not type-check).
// A pino Logger (what service-kit hands out) is a BusLogger as is.
const _pinoFits: BusLogger = pino({ enabled: false });
const _silentFits: BusLogger = silentLogger;
// pino's LogFn also has a `(msg, ...args)` overload, so the line above would
// pass with a `(msg, obj)` BusLogger too (and pino would then drop the context
// at runtime). These pin the order itself: context first, message second.
const _infoArgs: Parameters<BusLogger['info']> = [{ url: 'mqtt://broker:1883' }, 'msg'];
const _warnArgs: Parameters<BusLogger['warn']> = [{ role: 'sub' }, 'msg'];
const _errorArgs: Parameters<BusLogger['error']> = [{ topic: 't' }, 'msg'];
const _throttledArgs: Parameters<ThrottledLog['write']> = [{ topic: 't' }, 'msg'];

function capturingPino(): { logger: BusLogger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

describe('BusLogger', () => {
  it('takes (obj, msg) the way pino does, so context lands in fields and msg stays the message', () => {
    const { logger, lines } = capturingPino();
    logger.warn({ role: 'sub' }, 'Redis bus: lost Redis; reconnecting');
    logger.info({}, 'message bus: in-process');
    expect(lines).toEqual([
      expect.objectContaining({ level: 40, role: 'sub', msg: 'Redis bus: lost Redis; reconnecting' }),
      expect.objectContaining({ level: 30, msg: 'message bus: in-process' }),
    ]);
  });

  it('is how the bus itself logs: context in fields, message unchanged', async () => {
    const { logger, lines } = capturingPino();
    const bus = createMessageBus({ type: 'memory' }, logger);
    new DeliveryContext(logger).decode('edgex/events/x', 'not json');
    await bus.close();
    expect(lines).toEqual([
      expect.objectContaining({ level: 30, msg: 'message bus: in-process' }),
      expect.objectContaining({
        level: 40,
        msg: 'message bus: skipped a malformed message',
        topic: 'edgex/events/x',
        reason: expect.any(String),
        malformedTotal: 1,
      }),
    ]);
  });
});

describe('ThrottledLog', () => {
  afterEach(() => jest.restoreAllMocks());

  it('passes (obj, msg) through and reports what it suppressed on the next line', () => {
    const log = jest.fn<void, [Record<string, unknown>, string]>();
    const now = jest.spyOn(Date, 'now').mockReturnValue(1_000);
    const throttled = new ThrottledLog(log, 10_000);

    throttled.write({ topic: 'a' }, 'message bus: skipped a malformed message');
    throttled.write({ topic: 'b' }, 'message bus: skipped a malformed message');
    throttled.write({ topic: 'c' }, 'message bus: skipped a malformed message');
    now.mockReturnValue(11_000);
    throttled.write({ topic: 'd' }, 'message bus: skipped a malformed message');

    expect(log.mock.calls).toEqual([
      [{ topic: 'a' }, 'message bus: skipped a malformed message'],
      [{ topic: 'd', suppressedSinceLast: 2 }, 'message bus: skipped a malformed message'],
    ]);
  });
});
