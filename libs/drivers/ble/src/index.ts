export * from './descriptor';
export * from './attributes';
export * from './codec';
export * from './gatt';
export * from './ble-driver';
