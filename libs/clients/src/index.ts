export * from './http-client';
export * from './metadata-client';
export * from './command-client';
export * from './device-directory';
