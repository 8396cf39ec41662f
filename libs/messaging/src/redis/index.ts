export * from './redis-bus';
export { covers, pubSubKeys, StreamRouting } from './stream-routing';
