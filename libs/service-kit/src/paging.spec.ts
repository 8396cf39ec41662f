import { ErrorKind, GatewayError } from '@gw/contracts';
import { parsePaging } from './paging';

function errorOf(run: () => unknown): unknown {
  try {
    run();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('parsePaging (EdgeX offset/limit, one rule for every service)', () => {
  it('defaults to the first 20, counts the total, and caps -1 and large limits', () => {
    expect(parsePaging({}, 1024)).toEqual({ offset: 0, limit: 20, countTotal: true });
    expect(parsePaging({ limit: '-1' }, 1024).limit).toBe(1024);
    expect(parsePaging({ limit: '9999', offset: '5' }, 100)).toEqual({ offset: 5, limit: 100, countTotal: true });
  });

  it('takes offset=-1 (start, no total) only where the service allows it', () => {
    expect(parsePaging({ offset: '-1' }, 10, { uncountedOffset: true })).toEqual({ offset: 0, limit: 10, countTotal: false });
    expect(GatewayError.is(errorOf(() => parsePaging({ offset: '-1' }, 10)), ErrorKind.ContractInvalid)).toBe(true);
  });

  it.each(['1e2', '0x10', '1.5', 'ten', '-2'])('refuses limit=%s with a 400 naming the parameter', (limit) => {
    const error = errorOf(() => parsePaging({ limit }, 1000));
    expect(GatewayError.is(error, ErrorKind.ContractInvalid)).toBe(true);
    expect((error as Error).message).toMatch(/query parameter limit/);
  });
});
