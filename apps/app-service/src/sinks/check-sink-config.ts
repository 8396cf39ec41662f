import { awsShadowSettings } from './aws-shadow-settings';
import { azureTwinSettings } from './azure-twin-settings';
import { httpSinkSettings } from './http-sink-settings';
import { kubeEdgeTwinSettings } from './kubeedge-twin-settings';
import { mqttSinkSettings } from './mqtt-sink-settings';
import type { SinkConfig } from './sink-config';

/**
 * What only a sink can judge of its entry in the pipelines file (durations,
 * topic templates, thing names, a connection string's parts, PEM files),
 * checked the way the sink reads it when it is built, but without loading
 * the sink or its HTTP or MQTT client. Throws the first problem.
 */
export function checkSinkConfig(config: SinkConfig): void {
  switch (config.type) {
    case 'http':
      httpSinkSettings(config);
      return;
    case 'mqtt':
      mqttSinkSettings(config);
      return;
    case 'aws-shadow':
      awsShadowSettings(config);
      return;
    case 'azure-twin':
      azureTwinSettings(config);
      return;
    case 'kubeedge-twin':
      kubeEdgeTwinSettings(config);
      return;
  }
}
