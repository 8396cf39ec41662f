/**
 * `POST /api/v3/validate/device`: core-metadata (or an operator) asks whether
 * this service would accept a device before it is stored. The device must be
 * a well-formed EdgeX device and its driver must accept its protocol
 * properties (and the attributes of its profile).
 */
import { ErrorKind, GatewayError, validateDevice } from '@gw/contracts';
import { DeviceRegistry } from './device-registry';
import type { ProtocolDriver } from './driver/protocol-driver';
import type { MetadataPort } from './metadata-sync';

export class DeviceValidator {
  constructor(
    private readonly registry: DeviceRegistry,
    private readonly driver: ProtocolDriver,
    private readonly metadata: MetadataPort,
  ) {}

  async validate(body: unknown): Promise<void> {
    const dto = body as { device?: unknown } | undefined;
    if (!dto || typeof dto !== 'object' || dto.device === undefined) {
      throw new GatewayError(ErrorKind.ContractInvalid, 'expected a DeviceValidationRequest: { "apiVersion": "v3", "device": { ... } }');
    }
    const device = validateDevice(dto.device, { path: 'device' });
    let profile = device.profileName ? this.registry.profile(device.profileName)?.profile : undefined;
    if (device.profileName && !profile) {
      try {
        profile = await this.metadata.profile(device.profileName);
      } catch (err) {
        if (!GatewayError.is(err, ErrorKind.EntityNotFound)) throw err;
        throw new GatewayError(ErrorKind.ContractInvalid, `device.profileName: device profile '${device.profileName}' does not exist`);
      }
    }
    try {
      await this.driver.validateDevice(device, profile);
    } catch (err) {
      // The driver names the device and field; whatever kind it chose, the answer is "this device is not valid".
      throw new GatewayError(ErrorKind.ContractInvalid, err instanceof Error ? err.message : String(err), { cause: err });
    }
  }
}
