import { durationText } from './from-kubeedge';
import { isKubernetesName, kubernetesName, uniqueKubernetesNames } from './names';

describe('Kubernetes names for EdgeX names', () => {
  it.each([
    ['Demo-Sensor-01', 'demo-sensor-01'],
    ['Energy Meter #2', 'energy-meter-2'],
    ['_Boiler_', 'boiler'],
    ['hall.3..pump', 'hall.3.pump'],
    ['a.-b-.c', 'a.b.c'],
    ['x'.repeat(300), 'x'.repeat(253)],
  ])('%s -> %s', (edgex, name) => {
    expect(kubernetesName(edgex)).toBe(name);
    expect(isKubernetesName(name)).toBe(true);
  });

  it('refuses a name with nothing to keep, and two names that would become one object', () => {
    expect(() => kubernetesName('***')).toThrow(/no letter or digit/);
    expect(() => uniqueKubernetesNames(['Pump-1', 'pump 1'], 'device')).toThrow('device "Pump-1" and "pump 1" would both be named "pump-1" in Kubernetes');
  });
});

describe('durationText', () => {
  it.each([
    [1000, '1s'],
    [1500, '1500ms'],
    [90_000, '90s'],
    [120_000, '2m'],
    [3_600_000, '1h'],
  ])('%d ms -> %s', (ms, text) => expect(durationText(ms)).toBe(text));
});
