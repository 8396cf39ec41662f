import { stringify } from 'yaml';
import { parseDeviceProfile, validateDeviceProfile } from '@gw/contracts';
import { setLogger } from 'zigbee-herdsman-converters';
import { exposesOf, resolveDefinition } from './definitions';
import { generateProfile } from './generate';

const quiet = () => undefined;
setLogger({ debug: quiet, info: quiet, warning: quiet, error: quiet });

async function profileFor(name: string) {
  const definition = await resolveDefinition(name);
  if (!definition) throw new Error(`no definition for ${name}`);
  return generateProfile(definition, exposesOf(definition));
}

const resource = (profile: { deviceResources: Array<{ name: string }> }, name: string) => profile.deviceResources.find((r) => r.name === name);

describe('profiles generated from zigbee-herdsman-converters definitions', () => {
  it('Aqara WSDCGQ11LM by its Zigbee modelID lumi.weather: read-only Float64 measurements with units', async () => {
    const { profile } = await profileFor('lumi.weather');
    expect(profile).toMatchObject({ name: 'zigbee-Aqara-WSDCGQ11LM', manufacturer: 'Aqara', model: 'WSDCGQ11LM' });
    expect(profile.labels).toEqual(expect.arrayContaining(['zigbee', 'lumi.weather']));
    expect(resource(profile, 'temperature')).toMatchObject({
      properties: { valueType: 'Float64', readWrite: 'R', units: '°C' },
      attributes: { property: 'temperature', exposeType: 'numeric', access: 1 },
    });
    expect(resource(profile, 'humidity')).toMatchObject({ properties: { valueType: 'Float64', readWrite: 'R', units: '%' } });
    expect(resource(profile, 'pressure')).toMatchObject({ properties: { valueType: 'Float64', units: 'hPa' } });
    expect(resource(profile, 'battery')).toMatchObject({ properties: { valueType: 'Int64', minimum: 0, maximum: 100 } });
    expect(resource(profile, 'linkquality')).toMatchObject({ properties: { valueType: 'Int64', readWrite: 'R' } });
  });

  it('the same profile by vendor model WSDCGQ11LM', async () => {
    expect((await profileFor('WSDCGQ11LM')).profile).toEqual((await profileFor('lumi.weather')).profile);
  });

  it('a white-label model (IKEA LED2405G8, listed in the whiteLabel of another definition) under its own model and vendor', async () => {
    const definition = await resolveDefinition('LED2405G8');
    expect(definition).toMatchObject({ model: 'LED2405G8', vendor: 'IKEA' });
  });

  it('IKEA LED1545G12: the light features flattened, state Bool with ON/OFF, brightness and color_temp read-write with bounds, effect write-only enum', async () => {
    const { profile } = await profileFor('LED1545G12');
    expect(profile).toMatchObject({ name: 'zigbee-IKEA-LED1545G12', manufacturer: 'IKEA' });
    expect(resource(profile, 'state')).toMatchObject({ properties: { valueType: 'Bool', readWrite: 'RW' }, attributes: { valueOn: 'ON', valueOff: 'OFF', access: 7 } });
    expect(resource(profile, 'brightness')).toMatchObject({ properties: { valueType: 'Int64', readWrite: 'RW', minimum: 0, maximum: 254 } });
    expect(resource(profile, 'color_temp')).toMatchObject({ properties: { valueType: 'Int64', readWrite: 'RW', units: 'mired', minimum: 250, maximum: 454 } });
    expect(resource(profile, 'effect')).toMatchObject({ properties: { valueType: 'String', readWrite: 'W' } });
    expect(resource(profile, 'level_config')).toMatchObject({ properties: { valueType: 'Object', readWrite: 'RW' } });
  });

  it('a metering plug (Aqara SP-EUC01): switch state, power/energy/voltage/current Float64 with units', async () => {
    const { profile } = await profileFor('SP-EUC01');
    expect(resource(profile, 'state')).toMatchObject({ properties: { valueType: 'Bool', readWrite: 'RW' } });
    for (const [name, units] of [['power', 'W'], ['energy', 'kWh'], ['voltage', 'V'], ['current', 'A']]) {
      expect(resource(profile, name)).toMatchObject({ properties: { valueType: 'Float64', readWrite: 'R', units } });
    }
    expect(resource(profile, 'power_outage_memory')).toMatchObject({ properties: { valueType: 'Bool' }, attributes: { valueOn: true, valueOff: false } });
  });

  it.each(['lumi.weather', 'LED1545G12', 'SP-EUC01'])('%s: the profile loads in metadata unchanged, as JSON and as YAML', async (name) => {
    const { profile } = await profileFor(name);
    expect(validateDeviceProfile(JSON.parse(JSON.stringify(profile)))).toEqual(profile);
    expect(parseDeviceProfile(stringify(profile))).toEqual(profile);
  });

  it('a model the converters do not know resolves to nothing', async () => {
    await expect(resolveDefinition('no-such-model-xyz')).resolves.toBeUndefined();
  });

  it('maps composite and list exposes to Object, text to String, and leaves out what has no access', () => {
    const { profile, skipped } = generateProfile({ model: 'M', vendor: 'V x', description: 'd' }, [
      { type: 'list', property: 'schedule', access: 3, name: 'schedule' },
      { type: 'text', property: 'label', access: 1, name: 'label' },
      { type: 'numeric', property: 'nothing', access: 0, name: 'nothing' },
      { type: 'numeric', property: 'ratio', access: 1, value_min: 0, value_max: 1, value_step: 0.1, name: 'ratio' },
    ]);
    expect(profile.name).toBe('zigbee-V_x-M');
    expect(resource(profile, 'schedule')).toMatchObject({ properties: { valueType: 'Object', readWrite: 'RW' } });
    expect(resource(profile, 'label')).toMatchObject({ properties: { valueType: 'String', readWrite: 'R' } });
    expect(resource(profile, 'ratio')).toMatchObject({ properties: { valueType: 'Float64' } });
    expect(skipped).toEqual([{ property: 'nothing', reason: 'no access flag' }]);
  });
});
