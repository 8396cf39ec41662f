// The bus implementations are loaded by createMessageBus when chosen (mqtt and
// redis are heavy); import them from @gw/messaging/mqtt or /redis directly if needed.
export * from './message-bus';
export * from './envelope';
export * from './topic-filter';
export * from './logger';
export * from './options';
export * from './bounded-queue';
export * from './publish-queue';
export * from './delivery';
export * from './request-reply';
export * from './memory';
export * from './factory';
export * from './in-flight';
