/**
 * The registration device-zigbee asks of its host (ZigbeeContext.provision
 * and setOperatingState), done here over core-metadata's REST API as an EdgeX
 * client would: the profile once per model (when metadata has none of that
 * name), then the device under its IEEE address.
 */
import type { DriverContext } from '@gw/device-sdk/driver';
import { zigbeeSettings } from '../../../libs/drivers/zigbee/src/descriptor';
import { Provisioning, ZigbeeContext, ZigbeeDriver } from '../../../libs/drivers/zigbee/src/zigbee-driver';
import type { MetadataClient } from '../../metadata/metadata-client';

export class ProvisionedZigbee extends ZigbeeDriver {
  readonly profilesAdded: string[] = [];
  readonly devicesAdded: string[] = [];
  readonly operatingStates: Array<{ device: string; state: string; reason: string }> = [];

  constructor(
    settings: Record<string, unknown>,
    private readonly rest: () => MetadataClient,
    private readonly serviceName = 'device-zigbee',
  ) {
    // `fake://` ports (support/fake-adapter.ts) are no valid GW_ZIGBEE_SERIAL_PORT: set after validation.
    const { serialPort, ...others } = settings;
    super({ ...zigbeeSettings.parse(others), serialPort: serialPort as string | undefined });
  }

  override async initialize(context: DriverContext): Promise<void> {
    const extended: ZigbeeContext = {
      ...context,
      provision: (entry) => this.provision(entry),
      setOperatingState: (device, state, reason) => this.operatingStates.push({ device, state, reason }),
    };
    await super.initialize(extended);
  }

  private async provision({ profile, device }: Provisioning): Promise<void> {
    const rest = this.rest();
    if ((await rest.get(`/deviceprofile/name/${encodeURIComponent(profile.name)}`)).status === 404) {
      const added = await rest.batch('POST', '/deviceprofile', 'profile', [profile]);
      if (added.body[0].statusCode !== 201) throw new Error(`profile refused: ${JSON.stringify(added.body[0])}`);
      this.profilesAdded.push(profile.name);
    }
    const { profileName, ...found } = device;
    const added = await rest.batch('POST', '/device', 'device', [{ ...found, profileName, serviceName: this.serviceName, adminState: 'UNLOCKED', operatingState: 'UP' }]);
    if (added.body[0].statusCode !== 201) throw new Error(`device refused: ${JSON.stringify(added.body[0])}`);
    this.devicesAdded.push(device.name);
  }
}
