export * from './errors';
export * from './models';
export * from './duration';
export * from './topics';
