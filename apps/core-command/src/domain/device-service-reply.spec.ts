import { ErrorKind, GatewayError, errorKindForStatus as kindForStatus } from '@gw/contracts';
import { newEnvelope } from '@gw/messaging';
import { statusForKind } from '@gw/service-kit';
import { readReply } from './device-service-reply';

const label = { serviceName: 'device-virtual', deviceName: 'Pump-1', commandName: 'Speed', method: 'set' as const };

describe('device service replies', () => {
  it('returns the success payload as it is', () => {
    const payload = { apiVersion: 'v3', requestId: 'r1', statusCode: 200, event: { id: 'e' } };
    expect(readReply(newEnvelope(payload, { requestID: 'r1' }), label)).toEqual(payload);
  });

  it('gives back the device service\'s status code and message, naming command, device and service', () => {
    const reply = newEnvelope({ apiVersion: 'v3', requestId: 'r1', statusCode: 423, message: 'device Pump-1 OperatingState is DOWN' }, { errorCode: 1 });
    let caught: unknown;
    try {
      readReply(reply, label);
    } catch (err) {
      caught = err;
    }
    expect(GatewayError.is(caught, ErrorKind.ServiceLocked)).toBe(true);
    expect((caught as Error).message).toBe("set 'Speed' on device 'Pump-1' failed in device service 'device-virtual': device Pump-1 OperatingState is DOWN");
  });

  it('keeps every status EdgeX device services answer with, and the class of any other', () => {
    for (const status of [400, 401, 404, 405, 409, 413, 416, 423, 500, 503, 504]) expect(statusForKind(kindForStatus(status))).toBe(status);
    expect(statusForKind(kindForStatus(422))).toBe(400);
    expect(statusForKind(kindForStatus(502))).toBe(503);
  });

  it('refuses a payload that is not an object', () => {
    expect(() => readReply(newEnvelope('oops'), label)).toThrow(/payload that is not a JSON object/);
  });
});
