import { isKubernetesName, toKubernetesName } from './kubernetes-names';

describe('toKubernetesName: one rule for the kubeedge-twin sink and gw export kubeedge', () => {
  it.each([
    ['Demo-Sensor-01', 'demo-sensor-01'],
    ['Energy Meter #2', 'energy-meter-2'],
    ['_Boiler_', 'boiler'],
    ['hall.3..pump', 'hall.3.pump'],
    // Each dot-separated part starts and ends with a letter or digit.
    ['Pump_.2', 'pump.2'],
    ['Line-1.-Pump', 'line-1.pump'],
    ['a.-b-.c', 'a.b.c'],
    ['x'.repeat(300), 'x'.repeat(253)],
    [`${'x'.repeat(252)}.-y`, 'x'.repeat(252)],
  ])('%s -> %s (a valid object name)', (gateway, name) => {
    expect(toKubernetesName(gateway)).toBe(name);
    expect(isKubernetesName(name)).toBe(true);
  });

  it("gives '' when nothing is left", () => {
    expect(toKubernetesName('*.-.*')).toBe('');
  });
});
