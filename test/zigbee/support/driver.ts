/** A ZigbeeDriver on a simulated coordinator (support/fake-adapter.ts). */
import { zigbeeSettings } from '../../../libs/drivers/zigbee/src/descriptor';
import { ZigbeeDriver } from '../../../libs/drivers/zigbee/src/zigbee-driver';

/** `fake://<network id>` is no valid GW_ZIGBEE_SERIAL_PORT: it is set after the other settings are validated. */
export function fakeZigbee(networkId: string, settings: Record<string, unknown>): ZigbeeDriver {
  return new ZigbeeDriver({ ...zigbeeSettings.parse(settings), serialPort: `fake://${networkId}` });
}
