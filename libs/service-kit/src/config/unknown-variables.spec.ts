import { z } from 'zod';
import { configVariables, settingsVariables } from './fields';
import { editDistance, unknownVariableMessage, unknownVariables } from './unknown-variables';

const known = ['GW_METADATA_PORT', 'GW_PORT', 'GW_METADATA_DATABASE', 'GW_DATABASE', 'GW_LOG_LEVEL', 'GW_METADATA_LOG_LEVEL'];

describe('unknownVariables', () => {
  it('reports a mistyped name with the nearest known one', () => {
    expect(unknownVariables({ GW_METADATA_PROT: '6001' }, known)).toEqual([{ name: 'GW_METADATA_PROT', suggestion: 'GW_METADATA_PORT' }]);
    expect(unknownVariables({ GW_DATABSE: 'sqlite:x', GW_LOGLEVEL: 'debug' }, known)).toEqual([
      { name: 'GW_DATABSE', suggestion: 'GW_DATABASE' },
      { name: 'GW_LOGLEVEL', suggestion: 'GW_LOG_LEVEL' },
    ]);
  });

  it('says it in one line naming both', () => {
    expect(unknownVariableMessage({ name: 'GW_METADATA_PROT', suggestion: 'GW_METADATA_PORT' }, 'core-metadata')).toBe(
      'GW_METADATA_PROT is not a setting of core-metadata; did you mean GW_METADATA_PORT?',
    );
  });

  it('is silent about known names, other variables and names far from any known one (another service’s)', () => {
    const env = {
      GW_METADATA_PORT: '1',
      GW_PORT: '2',
      PATH: '/bin',
      gw_metadata_prot: 'x', // not GW_
      GW_CORE_DATA_BATCH_SIZE: '100', // another service's, far from every name here
      GW_DEVICE_SERVICES: 'virtual',
    };
    expect(unknownVariables(env, known)).toEqual([]);
  });

  it('is silent about names another process of the deployment reads, and about compose, test and bench variables', () => {
    expect(unknownVariables({ GW_METADATA_PROT: 'x' }, known, { elsewhere: ['GW_METADATA_PROT'] })).toEqual([]);
    const outside = { GW_POSTGRES_PORT: '5432', GW_TEST_PORT: '1', GW_BENCH_PORT: '1', GW_MODBUS_SIM_PORT: '1502', GW_OPCUA_SIM_PORT: '53530' };
    expect(unknownVariables(outside, [...known, 'GW_POSTGRES_PORTS', 'GW_TEST_PORTS', 'GW_BENCH_PORTS', 'GW_MODBUS_SIM_PORTS', 'GW_OPCUA_SIM_PORTS'])).toEqual([]);
  });

  it('ignores unset variables', () => {
    expect(unknownVariables({ GW_METADATA_PROT: undefined }, known)).toEqual([]);
  });

  it('knows the _FILE forms of what a schema reads', () => {
    const schema = z.object({ port: z.number(), apiKey: z.string() });
    const names = configVariables(schema, 'metadata');
    expect(names).toEqual(
      expect.arrayContaining(['GW_METADATA_PORT', 'GW_PORT', 'GW_METADATA_API_KEY_FILE', 'GW_API_KEY', 'GW_API_KEY_FILE']),
    );
    expect(settingsVariables(schema, 'modbus')).toEqual(['GW_MODBUS_PORT', 'GW_MODBUS_PORT_FILE', 'GW_MODBUS_API_KEY', 'GW_MODBUS_API_KEY_FILE']);
    expect(unknownVariables({ GW_API_KEY_FIEL: '/run/secrets/key' }, names)).toEqual([{ name: 'GW_API_KEY_FIEL', suggestion: 'GW_API_KEY_FILE' }]);
  });
});

describe('editDistance', () => {
  it.each([
    ['PORT', 'PORT', 0],
    ['PROT', 'PORT', 1], // a swap counts once
    ['PRT', 'PORT', 1],
    ['PORTS', 'PORT', 1],
    ['HOST', 'PORT', 2],
    ['URL', 'PORT', 3],
  ])('%s -> %s: %d', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });

  it('stops at the limit', () => {
    expect(editDistance('GW_CORE_DATA_PORT', 'GW_METADATA_PORT', 3)).toBe(3);
  });
});
