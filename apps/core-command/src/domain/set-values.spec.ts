import { DeviceProfile, ErrorKind, GatewayError, commandsOf } from '@gw/contracts';
import { checkSetValues, requireSetBody } from './set-values';

const profile = DeviceProfile.parse({
  name: 'Pump',
  deviceResources: [
    { name: 'Speed', properties: { valueType: 'Uint16', readWrite: 'RW' } },
    { name: 'Mode', properties: { valueType: 'Uint8', readWrite: 'RW' } },
    { name: 'Limits', properties: { valueType: 'Float32Array', readWrite: 'RW' } },
    { name: 'Config', properties: { valueType: 'Object', readWrite: 'W' } },
  ],
  deviceCommands: [
    {
      name: 'Run',
      readWrite: 'W',
      resourceOperations: [{ deviceResource: 'Speed' }, { deviceResource: 'Mode', mappings: { '1': 'AUTO', '2': 'MANUAL' } }],
    },
  ],
});
const command = (name: string) => commandsOf(profile).find((c) => c.name === name)!;
const check = (name: string, body: unknown) => () => checkSetValues('Pump-1', profile, command(name), body);

function failure(run: () => unknown): GatewayError {
  try {
    run();
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('expected a GatewayError');
}

describe('SET body checks', () => {
  it('accepts EdgeX values: strings, numbers and booleans as text, arrays and objects as JSON, mapped names', () => {
    expect(check('Run', { Speed: '1200', Mode: 'AUTO' })()).toEqual({ Speed: '1200', Mode: 'AUTO' });
    expect(check('Run', { Speed: 900, Mode: '2' })).not.toThrow();
    expect(check('Limits', { Limits: [1.5, 2] })).not.toThrow();
    expect(check('Limits', { Limits: '[1.5, 2]' })).not.toThrow();
    expect(check('Config', { Config: { gain: 2 } })).not.toThrow();
    // Resources left out take their defaults in the device service.
    expect(check('Run', {})).not.toThrow();
  });

  it('refuses a body that is not an object, naming device and command', () => {
    for (const body of [undefined, null, [], ['Speed'], 'Speed=1', 3]) {
      const err = failure(() => requireSetBody('Pump-1', 'Run', body));
      expect(err.kind).toBe(ErrorKind.ContractInvalid);
      expect(err.message).toMatch(/^set 'Run' on device 'Pump-1': the body must be a JSON object/);
    }
  });

  it('refuses a resource the command does not write, listing the ones it does', () => {
    const err = failure(check('Run', { Speed: '1', Limits: '[1]' }));
    expect(err.kind).toBe(ErrorKind.ContractInvalid);
    expect(err.message).toBe("set 'Run' on device 'Pump-1': 'Limits' is not a resource of this command (expected Speed, Mode)");
  });

  it('refuses values that do not fit the valueType, naming the resource', () => {
    expect(failure(check('Run', { Speed: '70000' })).message).toMatch(/Speed: 70000 is out of range for Uint16/);
    expect(failure(check('Run', { Mode: 'FAST' })).message).toMatch(/Mode: "FAST" is not a valid Uint8/);
    expect(failure(check('Config', { Config: [1] })).message).toMatch(/Config: .* is not a JSON object/);
    expect(failure(check('Run', { Speed: null })).message).toMatch(/Speed: a value must be .* got null/);
  });
});
