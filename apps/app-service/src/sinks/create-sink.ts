import { AwsShadowSink } from './aws-shadow-sink';
import { AzureTwinSink } from './azure-twin-sink';
import { HttpSink } from './http-sink';
import { MqttSink } from './mqtt-sink';
import type { Sink } from './sink';
import type { SinkConfig } from './sink-config';

/** The sink of a sinks entry of the pipelines file. */
export function createSink(config: SinkConfig): Sink {
  switch (config.type) {
    case 'http':
      return new HttpSink(config);
    case 'mqtt':
      return new MqttSink(config);
    case 'aws-shadow':
      return new AwsShadowSink(config);
    case 'azure-twin':
      return new AzureTwinSink(config);
  }
}
