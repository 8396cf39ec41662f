export * from './descriptor';
export * from './opcua-driver';
