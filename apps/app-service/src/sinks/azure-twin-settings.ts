/**
 * What an azure-twin sink takes from its entry in the pipelines file,
 * checked: the connection string's parts, the broker URL, the token lifetime,
 * TLS. Light on purpose (no MQTT client): the pipelines file is checked with
 * it at load, and the sink builds itself from it.
 */
import { parseDuration } from '@gw/contracts';
import { DTMI, isDtdlName, MAX_INTERFACE_ID } from '../twin/dtdl';
import { ComponentNames } from './azure-components';
import { HubCredentials, parseConnectionString } from './azure-sas';
import type { AzureTwinSinkConfig } from './sink-config';
import { TlsOptions, tlsOptions } from './tls';

const DEFAULT_TTL_MS = 3_600_000;

export interface AzureTwinSettings {
  credentials: HubCredentials;
  /** mqtts://<HostName>:8883 unless the entry names another. */
  url: string;
  /** mqtt:// or ws://: the SAS token would go in clear text (a local test hub only). */
  plainText: boolean;
  tls: TlsOptions;
  /** SAS token lifetime. */
  ttlMs: number;
  /** Gateway devices the sink handles (all when unset). */
  devices?: RegExp;
  /** IoT Plug and Play model announced at CONNECT. */
  modelId?: string;
  /** Device names as the twin holds them (components with Plug and Play). */
  components: ComponentNames;
}

export function azureTwinSettings(config: AzureTwinSinkConfig): AzureTwinSettings {
  const credentials = parseConnectionString(config.connectionString);
  if (credentials.policyName && !config.deviceId.includes('{device}')) {
    throw new Error(`sink ${config.name}: deviceId "${config.deviceId}" must contain {device}: a hub policy connects each gateway device as its own twin`);
  }
  const url = config.url ?? `mqtts://${credentials.gatewayHostName ?? credentials.hostName}:8883`;
  const protocol = URL.canParse(url) ? new URL(url).protocol : '';
  if (!['mqtt:', 'mqtts:', 'ws:', 'wss:'].includes(protocol)) {
    throw new Error(`sink ${config.name}: url must start with mqtts:// or wss:// (mqtt:// and ws:// for a local test hub)`);
  }
  const ttlMs = config.tokenTtl === undefined ? DEFAULT_TTL_MS : typeof config.tokenTtl === 'number' ? config.tokenTtl : parseDuration(config.tokenTtl);
  if (!(ttlMs >= 1000)) throw new Error(`sink ${config.name}: tokenTtl must be at least 1s`);
  if (config.modelId !== undefined && config.modelId.length > MAX_INTERFACE_ID) {
    throw new Error(`sink ${config.name}: modelId is ${config.modelId.length} characters; DTDL allows an Interface id at most ${MAX_INTERFACE_ID}`);
  }
  if (config.modelId !== undefined && !DTMI.test(config.modelId)) {
    throw new Error(`sink ${config.name}: modelId "${config.modelId}" is not a DTMI (dtmi:<segment>[:<segment>...];<version>, e.g. dtmi:com:example:Gateway;1)`);
  }
  if (config.components && config.modelId === undefined) throw new Error(`sink ${config.name}: components needs a modelId (they name Plug and Play components)`);
  const seen = new Set<string>();
  for (const [device, component] of Object.entries(config.components ?? {})) {
    if (!isDtdlName(component)) throw new Error(`sink ${config.name}: components.${device}: "${component}" is not a DTDL name (letters, digits, _; a letter first; at most 64)`);
    if (seen.has(component)) throw new Error(`sink ${config.name}: components: "${component}" is given to two devices`);
    seen.add(component);
  }
  return {
    credentials,
    url,
    modelId: config.modelId,
    components: new ComponentNames(config.modelId !== undefined, config.components),
    plainText: protocol === 'mqtt:' || protocol === 'ws:',
    tls: tlsOptions(config.tls),
    ttlMs,
    devices: config.devices ? new RegExp(config.devices) : undefined,
  };
}
