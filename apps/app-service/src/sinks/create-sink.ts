/* eslint-disable @typescript-eslint/no-require-imports -- each implementation loads, with its client library, only when a sink of its type is configured */
import type { Sink } from './sink';
import type { SinkConfig } from './sink-config';

/** The sink of a sinks entry of the pipelines file (its settings are checked when the file loads: check-sink-config.ts). */
export function createSink(config: SinkConfig): Sink {
  switch (config.type) {
    case 'http': {
      const { HttpSink } = require('./http-sink') as typeof import('./http-sink');
      return new HttpSink(config);
    }
    case 'mqtt': {
      const { MqttSink } = require('./mqtt-sink') as typeof import('./mqtt-sink');
      return new MqttSink(config);
    }
    case 'aws-shadow': {
      const { AwsShadowSink } = require('./aws-shadow-sink') as typeof import('./aws-shadow-sink');
      return new AwsShadowSink(config);
    }
    case 'azure-twin': {
      const { AzureTwinSink } = require('./azure-twin-sink') as typeof import('./azure-twin-sink');
      return new AzureTwinSink(config);
    }
    case 'kubeedge-twin': {
      const { KubeEdgeTwinSink } = require('./kubeedge-twin-sink') as typeof import('./kubeedge-twin-sink');
      return new KubeEdgeTwinSink(config);
    }
  }
}
