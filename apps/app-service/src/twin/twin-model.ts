/**
 * The DTDL model an azure-twin sink with a `modelId` announces, built from
 * what core-metadata knows now (dtdl.ts says how):
 * - a device connection string (one twin for the gateway): the gateway's
 *   Interface with a Component per device the sink handles, and the
 *   Interfaces of their profiles;
 * - a hub policy (one twin per device): every twin announces the same
 *   modelId, so the sink's devices must share one profile, whose Interface
 *   gets that id.
 */
import { Device, DeviceProfile, ErrorKind, GatewayError } from '@gw/contracts';
import { azureTwinSettings } from '../sinks/azure-twin-settings';
import type { AzureTwinSinkConfig } from '../sinks/sink-config';
import { gatewayModel, ModelComponent, profileInterface } from './dtdl';

/** What the model needs from core-metadata (the REST client, or a fake in tests). */
export interface TwinModelPorts {
  devices(): Promise<Device[]>;
  profile(name: string): Promise<DeviceProfile>;
}

export interface TwinModel {
  modelId: string;
  /** One DTDL document: import it as is (IoT Central device template, `az dt model create --models`). Properties and commands only. */
  models: Record<string, unknown>[];
  /** What the model does not describe, and why: telemetry always (TELEMETRY_NOT_MODELED), and anything DTDL could not say. */
  omitted: string[];
}

/**
 * The sink sends telemetry as EdgeX event JSON (an array when batched); a Plug
 * and Play telemetry message is one object keyed by the model's Telemetry
 * names. The model says nothing it could not keep, so it has no Telemetry.
 */
export const TELEMETRY_NOT_MODELED =
  'telemetry: not modeled (the sink sends EdgeX event JSON, not Plug and Play telemetry objects); the model has the reported properties and the commands';

export async function twinModel(config: AzureTwinSinkConfig, ports: TwinModelPorts): Promise<TwinModel> {
  const settings = azureTwinSettings(config);
  const modelId = settings.modelId;
  if (!modelId) throw new GatewayError(ErrorKind.EntityNotFound, `sink ${config.name} has no modelId: Plug and Play is off for it`);
  const omitted: string[] = [];
  const devices = (await ports.devices()).filter((d) => !settings.devices || settings.devices.test(d.name));
  const profileNames = [...new Set(devices.flatMap((d) => (d.profileName ? [d.profileName] : [])))].sort();
  const profiles = await Promise.all(profileNames.map((name) => ports.profile(name)));

  if (!settings.credentials.deviceId) {
    if (profiles.length !== 1) {
      throw new GatewayError(
        ErrorKind.ContractInvalid,
        `sink ${config.name}: with a hub policy every twin announces modelId ${modelId}, but its devices have ${profiles.length} profiles (${profileNames.join(', ') || 'none'}); limit devices to one profile per sink`,
      );
    }
    const built = profileInterface(profiles[0], modelId);
    return { modelId, models: [built.model], omitted: [TELEMETRY_NOT_MODELED, ...built.omitted] };
  }

  const components: ModelComponent[] = [];
  for (const device of devices.sort((a, b) => a.name.localeCompare(b.name))) {
    const problem = settings.components.problem(device.name);
    if (problem) omitted.push(problem);
    else if (!device.profileName) omitted.push(`device ${device.name}: no profile`);
    else components.push({ component: settings.components.toTwin(device.name), device: device.name, profile: device.profileName });
  }
  const built = gatewayModel(modelId, components, profiles);
  return { modelId, models: built.models, omitted: [TELEMETRY_NOT_MODELED, ...omitted, ...built.omitted] };
}
