export * from './descriptor';
export type { JoinedDevice, Provisioning, ZigbeeStats } from './zigbee-driver';
