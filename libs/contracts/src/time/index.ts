export * from './backoff';
export * from './clock';
export * from './with-timeout';
