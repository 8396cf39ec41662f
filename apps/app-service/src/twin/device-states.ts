/**
 * The gateway's devices' operating states for twin sinks that report device
 * state (KubeEdge): now from core-metadata, and as they change from
 * core-metadata's device system events on the bus (a device service that
 * finds a device unreachable sets it DOWN in metadata, which announces it).
 * The bus subscription is opened only when a sink watches.
 */
import type { Device, SystemEvent, Topics } from '@gw/contracts';
import type { MessageBus } from '@gw/messaging';
import type { DeviceOperatingState, DeviceStateSource } from '../sinks/sink';

export function deviceStatesOf(bus: MessageBus, topics: Topics, devices: () => Promise<Device[]>): DeviceStateSource {
  return {
    current: async () => (await devices()).map((d) => ({ deviceName: d.name, operatingState: d.operatingState ?? 'UP' })),
    watch: async (listener) => {
      const subscription = await bus.subscribe(topics.join('system-events', 'core-metadata', 'device', '#'), (envelope) => {
        const state = stateOf(envelope.payload as SystemEvent | undefined);
        if (state) listener(state);
      });
      return () => subscription.unsubscribe();
    },
  };
}

function stateOf(event: SystemEvent | undefined): DeviceOperatingState | undefined {
  const device = event?.details as Partial<Device> | undefined;
  if (!device || typeof device.name !== 'string') return undefined;
  const operatingState = device.operatingState === 'DOWN' || device.operatingState === 'UNKNOWN' ? device.operatingState : 'UP';
  return { deviceName: device.name, operatingState, ...(event!.action === 'delete' ? { removed: true } : {}) };
}
