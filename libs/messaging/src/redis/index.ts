export * from './redis-bus';
export { covers, pubSubKey, StreamRouting } from './stream-routing';
