import { DeviceProfile } from '@gw/contracts';
import { ProfileView } from './profile-view';

// Schema only: the view must cope with profiles our metadata would refuse (an EdgeX metadata is laxer).
const profile = DeviceProfile.parse({
  name: 'P',
  deviceResources: [
    { name: 'Temp', properties: { valueType: 'Float32', readWrite: 'R' }, attributes: { register: 3 } },
    { name: 'Set', properties: { valueType: 'Int16', readWrite: 'RW', defaultValue: '5' } },
    { name: 'Cmd', properties: { valueType: 'Bool', readWrite: 'W' } },
    { name: 'Both', isHidden: true, properties: { valueType: 'Int16', readWrite: 'RW' } },
  ],
  deviceCommands: [
    { name: 'Both', readWrite: 'R', resourceOperations: [{ deviceResource: 'Temp' }, { deviceResource: 'Set', defaultValue: '7', mappings: { '1': 'one' } }] },
    { name: 'Mixed', readWrite: 'RW', resourceOperations: [{ deviceResource: 'Set' }, { deviceResource: 'Cmd' }] },
  ],
});

describe('ProfileView', () => {
  const view = new ProfileView(profile);

  it('offers every resource and command as a source; a command wins over a resource of the same name', () => {
    expect(view.source('Temp')).toMatchObject({ kind: 'resource', readProblem: undefined });
    expect(view.source('Temp')!.writeProblem).toMatch(/read-only/);
    expect(view.source('Cmd')!.readProblem).toMatch(/write-only/);
    const both = view.source('Both')!;
    expect(both.kind).toBe('command');
    expect(both.requests.map((r) => r.resource.name)).toEqual(['Temp', 'Set']);
    expect(both.operations[1]).toMatchObject({ defaultValue: '7', mappings: { '1': 'one' } });
    expect(both.writeProblem).toMatch(/command "Both" is read-only/);
  });

  it('builds each driver request once, with the attributes and valueType, shared between sources', () => {
    const temp = view.source('Temp')!.requests[0];
    expect(temp).toMatchObject({ attributes: { register: 3 }, valueType: 'Float32' });
    expect(view.source('Both')!.requests[0]).toBe(temp);
  });

  it("refuses a command whose resources do not allow the operation, naming the resource", () => {
    const mixed = view.source('Mixed')!;
    expect(mixed.readProblem).toBe('command "Mixed": resource "Cmd" is write-only (readWrite W)');
    expect(mixed.writeProblem).toBeUndefined();
    expect(mixed.operations[0].defaultValue).toBe('5'); // the resource's, when the operation has none
  });
});
