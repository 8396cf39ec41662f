import { Device, DeviceProfile } from '@gw/contracts';
import { deviceCoreCommand } from './core-commands';

describe('a device\'s core commands', () => {
  it('lists visible deviceCommands, then visible resources under their own name, with get/set, path and parameters', () => {
    const profile = DeviceProfile.parse({
      name: 'Valve',
      deviceResources: [
        { name: 'Position', properties: { valueType: 'Float32', readWrite: 'R' } },
        { name: 'Target', properties: { valueType: 'Float32', readWrite: 'W' } },
        { name: 'Raw', isHidden: true, properties: { valueType: 'Uint16', readWrite: 'RW' } },
      ],
      deviceCommands: [
        { name: 'Move', readWrite: 'RW', resourceOperations: [{ deviceResource: 'Target' }, { deviceResource: 'Raw' }] },
        { name: 'Secret', isHidden: true, readWrite: 'R', resourceOperations: [{ deviceResource: 'Raw' }] },
      ],
    });
    const device = Device.parse({ name: 'Ventil-ä', profileName: 'Valve', serviceName: 'svc' });
    expect(deviceCoreCommand(device, profile, 'http://localhost:59882')).toEqual({
      deviceName: 'Ventil-ä',
      profileName: 'Valve',
      coreCommands: [
        {
          name: 'Move',
          get: true,
          set: true,
          path: '/api/v3/device/name/Ventil-%C3%A4/Move',
          url: 'http://localhost:59882',
          parameters: [
            { resourceName: 'Target', valueType: 'Float32' },
            { resourceName: 'Raw', valueType: 'Uint16' },
          ],
        },
        expect.objectContaining({ name: 'Position', get: true, set: false, parameters: [{ resourceName: 'Position', valueType: 'Float32' }] }),
        expect.objectContaining({ name: 'Target', get: false, set: true }),
      ],
    });
  });
});
