import { fixture } from '../fixtures';
import { checkDeviceAgainstProfile } from './device-checks';
import { parseDeviceList, parseDeviceProfile } from './parse';

describe('checkDeviceAgainstProfile', () => {
  const profile = parseDeviceProfile(fixture('demo-actuator.profile.yaml'));
  const [device] = parseDeviceList(fixture('demo-actuator.devices.yaml'));

  it('accepts autoEvents on deviceCommands and on deviceResources, hidden ones included', () => {
    const onHidden = { ...device, autoEvents: [{ interval: '1s', onChange: false, sourceName: 'YawRate' }] };
    expect(checkDeviceAgainstProfile(device, profile)).toEqual([]);
    expect(checkDeviceAgainstProfile(onHidden, profile)).toEqual([]);
  });

  it('names each autoEvent whose source the profile lacks, under the given path', () => {
    const broken = {
      ...device,
      autoEvents: [
        { interval: '1s', onChange: false, sourceName: 'RelayState' },
        { interval: '1s', onChange: false, sourceName: 'Temperature' },
      ],
    };
    expect(checkDeviceAgainstProfile(broken, profile, "device 'Demo-Actuator01'")).toEqual([
      {
        path: "device 'Demo-Actuator01'.autoEvents[1].sourceName",
        message: 'no deviceResource or deviceCommand named "Temperature" in profile "Demo-Actuator"',
      },
    ]);
    expect(checkDeviceAgainstProfile(broken, profile)[0].path).toBe('autoEvents[1].sourceName');
  });

  it('has nothing to say about a device without autoEvents', () => {
    expect(checkDeviceAgainstProfile({ ...device, autoEvents: undefined }, profile)).toEqual([]);
  });
});
