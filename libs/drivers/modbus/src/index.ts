export * from './attributes';
export * from './codec';
export * from './planner';
export * from './connection';
export * from './discovery';
export * from './modbus-driver';
export * from './descriptor';
export * from './routes';
