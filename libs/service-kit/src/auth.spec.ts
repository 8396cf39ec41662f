import { keyMatches, presentedKey } from './auth';

describe('API key parsing', () => {
  it('reads Bearer and X-API-Key', () => {
    expect(presentedKey({ authorization: 'Bearer abc' })).toBe('abc');
    expect(presentedKey({ authorization: 'bearer   abc ' })).toBe('abc');
    expect(presentedKey({ 'x-api-key': 'xyz' })).toBe('xyz');
    expect(presentedKey({ authorization: 'Basic dXNlcjpwYXNz' })).toBeUndefined();
    expect(presentedKey({})).toBeUndefined();
  });

  it('compares whole keys', () => {
    expect(keyMatches('secret-key', 'secret-key')).toBe(true);
    expect(keyMatches('secret', 'secret-key')).toBe(false);
    expect(keyMatches('', 'secret-key')).toBe(false);
    expect(keyMatches(undefined, 'secret-key')).toBe(false);
  });
});
