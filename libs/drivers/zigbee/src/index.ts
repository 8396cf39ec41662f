export * from './descriptor';
export type { JoinedDevice, Provisioning, ZigbeeContext, ZigbeeStats } from './zigbee-driver';
