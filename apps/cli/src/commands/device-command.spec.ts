import { UsageError } from '../failure';
import { parsePairs } from './device-command';

describe('parsePairs (gw set DEVICE COMMAND resource=value...)', () => {
  it('splits at the first =, so a value may contain = and may be empty or JSON', () => {
    expect(parsePairs(['Expr=a=b==c', 'Label=', 'Config={"a":1,"b":[2,"x=y"]}', 'Fan=true'])).toEqual({
      Expr: 'a=b==c',
      Label: '',
      Config: '{"a":1,"b":[2,"x=y"]}',
      Fan: 'true',
    });
  });

  it('refuses a pair without a resource name or without =', () => {
    expect(() => parsePairs(['=3'])).toThrow(new UsageError('"=3" is not resource=value (e.g. Fan=true)'));
    expect(() => parsePairs(['Fan'])).toThrow(UsageError);
  });
});
