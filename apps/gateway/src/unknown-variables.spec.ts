/**
 * docker compose gives every service one shared environment: no service may
 * warn about a variable another service reads. The gateway may import every
 * app, so the whole project's names are checked here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { unknownVariables } from '@gw/service-kit/config';
import { metadataConfigVariables } from '../../metadata/src/config';
import { coreDataConfigVariables } from '../../core-data/src/config';
import { coreCommandConfigVariables } from '../../core-command/src/config';
import { deviceServiceConfigVariables } from '../../device-service/src/config';
import { appServiceConfigVariables } from '../../app-service/src/config';
import { consoleConfigVariables } from '../../console/src/config';
import { gatewayConfigVariables } from './config';

const standalone = {
  'core-metadata': metadataConfigVariables(),
  'core-data': coreDataConfigVariables(),
  'core-command': coreCommandConfigVariables(),
  'device-service': deviceServiceConfigVariables(),
  'app-service': appServiceConfigVariables(),
  console: consoleConfigVariables(),
};
const everyServiceVariable = Object.values(standalone).flat();
const composeVariables = readFileSync(join(__dirname, '../../../docker-compose.yml'), 'utf8').match(/\bGW_[A-Z0-9_]*[A-Z0-9]\b/g) ?? [];
const sharedEnv = Object.fromEntries(
  [...everyServiceVariable, ...gatewayConfigVariables(), ...composeVariables, 'GW_POSTGRES_PASSWORD', 'GW_TEST_MQTT_URL', 'GW_BENCH_SECONDS', 'GW_MODBUS_SIM_PORT'].map(
    (name) => [name, 'x'],
  ),
);

describe('unknown variables in a shared environment', () => {
  it.each(Object.entries(standalone))('%s warns about none of the project’s variables', (_, variables) => {
    expect(unknownVariables(sharedEnv, variables)).toEqual([]);
  });

  it('the gateway warns about none of them either', () => {
    expect(unknownVariables(sharedEnv, gatewayConfigVariables(), { elsewhere: everyServiceVariable })).toEqual([]);
  });

  it('but each warns about a typo of its own settings', () => {
    const env = { ...sharedEnv, GW_METADATA_PROT: '6001', GW_MODBUS_SACN: 'x' };
    expect(unknownVariables(env, standalone['core-metadata'])).toEqual([{ name: 'GW_METADATA_PROT', suggestion: 'GW_METADATA_PORT' }]);
    expect(unknownVariables(env, standalone['device-service'])).toEqual([{ name: 'GW_MODBUS_SACN', suggestion: 'GW_MODBUS_SCAN' }]);
    expect(unknownVariables(env, gatewayConfigVariables(), { elsewhere: everyServiceVariable })).toEqual([
      { name: 'GW_METADATA_PROT', suggestion: 'GW_METADATA_PORT' },
      { name: 'GW_MODBUS_SACN', suggestion: 'GW_MODBUS_SCAN' },
    ]);
  });
});
