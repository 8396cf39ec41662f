export * from './config';
export * from './data-source';
export * from './migration-columns';
export * from './entity-columns';
export * from './typeorm-logger';
export * from './postgres-reachability';
export * from './sqlite-checkpointer';
