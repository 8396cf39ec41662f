export * from './attributes';
export * from './codec';
export * from './planner';
export * from './connection';
export * from './modbus-driver';
