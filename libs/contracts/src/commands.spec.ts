import { fixture } from '../fixtures';
import { commandsOf, findCommand, findResource } from './commands';
import { parseDeviceProfile } from './parse';

describe('profile commands', () => {
  const profile = parseDeviceProfile(fixture('demo-actuator.profile.yaml'));

  it('lists non-hidden deviceCommands, then non-hidden resources not already taken by a command', () => {
    expect(commandsOf(profile)).toEqual([
      { name: 'RelayState', get: true, set: true, resourceNames: ['Relay'] },
      { name: 'Snapshot', get: true, set: false, resourceNames: ['Snapshot'] },
      { name: 'Attitude', get: true, set: true, resourceNames: ['PitchRate', 'RollRate', 'YawRate'] },
      { name: 'Relay', get: true, set: true, resourceNames: ['Relay'] },
      { name: 'Tags', get: true, set: true, resourceNames: ['Tags'] },
      { name: 'RawBytes', get: true, set: true, resourceNames: ['RawBytes'] },
      { name: 'Status', get: true, set: true, resourceNames: ['Status'] },
    ]);
  });

  it('lets a resource appear when the command of its name is hidden, as EdgeX does', () => {
    const hidden = structuredClone(profile);
    hidden.deviceCommands[1].isHidden = true;
    expect(commandsOf(hidden).filter((c) => c.name === 'Snapshot')).toEqual([
      { name: 'Snapshot', get: true, set: false, resourceNames: ['Snapshot'] },
    ]);
  });

  it('maps W-only commands to set without get', () => {
    const writeOnly = structuredClone(profile);
    writeOnly.deviceCommands[0].readWrite = 'W';
    expect(commandsOf(writeOnly)[0]).toMatchObject({ name: 'RelayState', get: false, set: true });
  });

  it('finds resources and commands by name, hidden ones included', () => {
    expect(findResource(profile, 'PitchRate')?.properties.units).toBe('deg/s');
    expect(findResource(profile, 'Attitude')).toBeUndefined();
    expect(findCommand(profile, 'Attitude')?.resourceOperations).toHaveLength(3);
    expect(findCommand(profile, 'Relay')).toBeUndefined();
  });
});
