export * from './errors';
export * from './models';
export * from './duration';
export * from './topics';
export * from './parse';
export * from './commands';
export * from './device-checks';
export * from './values';
