export * from './drop-log';
export * from './group-commit';
export * from './outbox-options';
export * from './outbox-store';
export * from './route-worker';
