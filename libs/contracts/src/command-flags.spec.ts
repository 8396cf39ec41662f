import { ErrorKind } from './errors';
import { readBoolFlag, readEventFlag } from './command-flags';

describe('readBoolFlag', () => {
  it('reads what EdgeX services read with cast.ToBool (strconv.ParseBool), in any case', () => {
    for (const raw of ['1', 't', 'T', 'true', 'TRUE', 'True', true]) expect(readBoolFlag(raw, 'numeric', false)).toBe(true);
    for (const raw of ['0', 'f', 'F', 'false', 'FALSE', 'False', false]) expect(readBoolFlag(raw, 'numeric', true)).toBe(false);
  });

  it('takes the fallback when absent or empty', () => {
    expect(readBoolFlag(undefined, 'numeric', true)).toBe(true);
    expect(readBoolFlag('', 'numeric', false)).toBe(false);
  });

  it('refuses anything else with a 400 naming the parameter, where EdgeX would silently read false', () => {
    expect(() => readBoolFlag('yes', 'numeric', false)).toThrow(expect.objectContaining({ kind: ErrorKind.ContractInvalid, message: expect.stringMatching(/^query parameter numeric must be true or false/) }));
  });

  it('is stricter for ds-pushevent and ds-returnevent, as EdgeX core-command is: true or false only', () => {
    expect(readEventFlag({ 'ds-pushevent': 'TRUE' }, 'ds-pushevent', false)).toBe(true);
    for (const raw of ['1', 't', 'yes']) expect(() => readEventFlag({ 'ds-pushevent': raw }, 'ds-pushevent', false)).toThrow(/ds-pushevent must be "true" or "false"/);
  });
});
