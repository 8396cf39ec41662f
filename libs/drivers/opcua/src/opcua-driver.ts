/**
 * The OPC UA ProtocolDriver (being built: see libs/drivers/opcua/README.md).
 */
import { Device, DeviceProfile, ErrorKind, GatewayError } from '@gw/contracts';
import type { CommandRequest, DriverContext, ProtocolDriver, ReadResult, WriteRequest } from '@gw/device-sdk/driver';
import type { OpcuaSettings } from './descriptor';

export class OpcuaDriver implements ProtocolDriver {
  private context?: DriverContext;

  constructor(readonly settings: OpcuaSettings) {}

  async initialize(context: DriverContext): Promise<void> {
    this.context = context;
  }

  async start(): Promise<void> {}

  async stop(_force: boolean): Promise<void> {}

  async validateDevice(_device: Device, _profile?: DeviceProfile): Promise<void> {}

  async addDevice(_device: Device, _profile?: DeviceProfile): Promise<void> {}

  async updateDevice(_device: Device, _profile?: DeviceProfile): Promise<void> {}

  async removeDevice(_device: Device): Promise<void> {}

  async read(device: Device, _profile: DeviceProfile, _requests: CommandRequest[]): Promise<ReadResult[]> {
    throw new GatewayError(ErrorKind.ServiceUnavailable, `device "${device.name}": the OPC UA driver is not ready yet`);
  }

  async write(device: Device, _profile: DeviceProfile, _requests: WriteRequest[]): Promise<void> {
    throw new GatewayError(ErrorKind.ServiceUnavailable, `device "${device.name}": the OPC UA driver is not ready yet`);
  }
}
