export * from './readiness';
export * from './waiting-server';
export * from './await-dependencies';
export * from './dependencies';
