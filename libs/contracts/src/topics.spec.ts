import { ErrorKind, GatewayError } from './errors';
import { Topics } from './topics';

describe('Topics', () => {
  const topics = new Topics('edgex');

  it('builds the EdgeX v3 topic names', () => {
    expect(topics.deviceEvent('device-virtual', 'P', 'D', 'S')).toBe('edgex/events/device/device-virtual/P/D/S');
    expect(topics.commandRequest('device-virtual', 'D', 'C', 'set')).toBe('edgex/device/command/request/device-virtual/D/C/set');
    expect(topics.systemEvent('device', 'add', 'device-virtual', 'P')).toBe('edgex/system-events/core-metadata/device/add/device-virtual/P');
    expect(topics.response('core-command', 'a1b2')).toBe('edgex/response/core-command/a1b2');
  });

  it.each(['', 'a/b', 'x#', '+'])('refuses a requestID that would address other topics: %j', (requestId) => {
    let error: unknown;
    try {
      topics.response('core-command', requestId);
    } catch (err) {
      error = err;
    }
    expect(GatewayError.is(error, ErrorKind.ContractInvalid)).toBe(true);
  });
});
