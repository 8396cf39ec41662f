import { ErrorKind, GatewayError, isUnreachable } from './errors';

describe('isUnreachable', () => {
  it('tells a peer that could not be reached or did not answer from one that refused', () => {
    for (const kind of [ErrorKind.Communication, ErrorKind.Timeout, ErrorKind.ServiceUnavailable]) {
      expect(isUnreachable(new GatewayError(kind, 'x'))).toBe(true);
    }
    for (const kind of [ErrorKind.ContractInvalid, ErrorKind.Unauthorized, ErrorKind.EntityNotFound]) {
      expect(isUnreachable(new GatewayError(kind, 'x'))).toBe(false);
    }
    expect(isUnreachable(new Error('ECONNREFUSED'))).toBe(false);
  });
});
