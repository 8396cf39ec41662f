import { ErrorKind, GatewayError } from '@gw/contracts';
import { toPageQuery } from './paging';

describe('toPageQuery (EdgeX offset/limit/labels)', () => {
  it('defaults to the first 20 and caps -1 and large limits at maxResultCount', () => {
    expect(toPageQuery({}, 1024)).toEqual({ offset: 0, limit: 20, countTotal: true, labels: undefined });
    expect(toPageQuery({ limit: '-1' }, 1024).limit).toBe(1024);
    expect(toPageQuery({ limit: '5000' }, 1024).limit).toBe(1024);
    expect(toPageQuery({ offset: '40', limit: '10' }, 1024)).toMatchObject({ offset: 40, limit: 10 });
  });

  it('splits comma-separated labels and drops empty ones', () => {
    expect(toPageQuery({ labels: 'hvac, line-2,,' }, 10).labels).toEqual(['hvac', 'line-2']);
  });

  it.each([
    [{ offset: '-1' }, /offset/],
    [{ limit: '-2' }, /limit/],
    [{ limit: 'ten' }, /limit.*"ten"/],
    [{ offset: '1.5' }, /offset/],
  ])('refuses %j naming the parameter', (input, message) => {
    let error: unknown;
    try {
      toPageQuery(input, 10);
    } catch (err) {
      error = err;
    }
    expect(GatewayError.is(error, ErrorKind.ContractInvalid)).toBe(true);
    expect((error as Error).message).toMatch(message);
  });
});
