export type { MqttBusOptions } from './client-options';
export * from './mqtt-bus';
