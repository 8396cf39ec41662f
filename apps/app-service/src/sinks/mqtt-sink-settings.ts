/**
 * What an mqtt sink takes from its entry in the pipelines file, checked.
 * Light on purpose (no MQTT client): the pipelines file is checked with it at
 * load, and the sink builds itself from it.
 */
import { validateTopic } from '@gw/messaging/topic-filter';
import type { ExportRecord } from './sink';
import type { MqttSinkConfig } from './sink-config';
import { TlsOptions, tlsOptions } from './tls';

/**
 * What `{device}` becomes for a record that is not about one device (key ''):
 * a readable level rather than an empty one (`plant1//telemetry` defeats `+`
 * filters in most tools). A device literally named `all` shares the topic;
 * the payload still names each device.
 */
export const ALL_DEVICES = 'all';

export interface MqttSinkSettings {
  tls: TlsOptions;
}

/** Refuses a topic template that could never be published to (wildcards, empty). */
export function mqttSinkSettings(config: MqttSinkConfig): MqttSinkSettings {
  validateTopic(renderTopic(config.topic, { key: 'x', kind: 'telemetry' }));
  return { tls: tlsOptions(config.tls) };
}

/** The topic of a record: `{device}` → its key (`all` when '', wildcards made harmless), `{kind}` → its kind. */
export function renderTopic(template: string, record: Pick<ExportRecord, 'key' | 'kind'>): string {
  // A `+`, `#` or `/` in a name would make the topic invalid (the broker drops the
  // connection, and the outbox would retry it forever) or add a level.
  const device = (record.key || ALL_DEVICES).replace(/[+#/]/g, '_');
  return template.replaceAll('{device}', device).replaceAll('{kind}', record.kind);
}
