export * from './http-client';
export * from './metadata-client';
