import { ErrorKind, GatewayError } from '@gw/contracts';
import { commandQueryParams } from './query-params';

describe('command query parameters', () => {
  it('defaults a GET to ds-pushevent=false, ds-returnevent=true and passes other parameters on', () => {
    expect(commandQueryParams('get', {})).toEqual({ 'ds-pushevent': 'false', 'ds-returnevent': 'true' });
    expect(commandQueryParams('get', { 'ds-pushevent': 'true', 'ds-returnevent': 'false', jsonObject: 'e30=' })).toEqual({
      'ds-pushevent': 'true',
      'ds-returnevent': 'false',
      jsonObject: 'e30=',
    });
    expect(commandQueryParams('set', undefined)).toEqual({});
  });

  it('reads the flags as the device services do: any case, empty = default, and forwards them normalised', () => {
    expect(commandQueryParams('get', { 'ds-returnevent': 'FALSE', 'ds-pushevent': '' })).toEqual({ 'ds-pushevent': 'false', 'ds-returnevent': 'false' });
  });

  it('answers 400 for anything but "true" or "false" (EdgeX v3 dropped yes/no) and for repeated parameters', () => {
    for (const query of [{ 'ds-pushevent': 'yes' }, { 'ds-returnevent': 'on' }, { 'ds-returnevent': '1' }, { 'ds-pushevent': ['true', 'false'] }]) {
      let caught: unknown;
      try {
        commandQueryParams('get', query);
      } catch (err) {
        caught = err;
      }
      expect(GatewayError.is(caught, ErrorKind.ContractInvalid)).toBe(true);
      expect((caught as Error).message).toMatch(/query parameter ds-(pushevent|returnevent) must be/);
    }
  });
});
