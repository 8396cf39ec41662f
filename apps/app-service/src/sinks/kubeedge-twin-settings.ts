/**
 * What a kubeedge-twin sink takes from its entry in the pipelines file,
 * checked: the namespace, the gateway device ⇄ KubeEdge Device name map, the
 * device pattern, TLS. Light on purpose (no MQTT client): the pipelines file
 * is checked with it at load, and the sink builds itself from it.
 */
import { hostname } from 'node:os';
import { isKubernetesLabel, isKubernetesName, KUBERNETES_LABEL_RULE, KUBERNETES_NAME_RULE, toKubernetesName } from '@gw/contracts/kubernetes-names';
import type { KubeEdgeTwinSinkConfig } from './sink-config';
import { TlsOptions, tlsOptions } from './tls';

export interface KubeEdgeTwinSettings {
  url: string;
  clientId: string;
  namespace: string;
  tls: TlsOptions;
  names: KubeNames;
  /** Gateway devices the sink handles (all when unset). */
  devices?: RegExp;
}

export function kubeEdgeTwinSettings(config: KubeEdgeTwinSinkConfig): KubeEdgeTwinSettings {
  const where = `sink ${config.name}`;
  if (!isKubernetesLabel(config.namespace)) {
    throw new Error(`${where}: namespace "${config.namespace}" is not a Kubernetes namespace (${KUBERNETES_LABEL_RULE})`);
  }
  const seen = new Map<string, string>();
  for (const [device, name] of Object.entries(config.names ?? {})) {
    const problem = nameProblem(name);
    if (problem) throw new Error(`${where}: names.${device}: ${problem}`);
    const other = seen.get(name);
    if (other !== undefined) throw new Error(`${where}: names: "${name}" is given to two devices (${other} and ${device})`);
    seen.set(name, device);
  }
  let devices: RegExp | undefined;
  try {
    devices = config.devices ? new RegExp(config.devices) : undefined;
  } catch (err) {
    throw new Error(`${where}: devices "${config.devices}" is not a valid regular expression: ${(err as Error).message}`);
  }
  return {
    url: config.url,
    // Unique per host: two gateways on one broker with the same client id would keep disconnecting each other.
    clientId: config.clientId ?? `gw-${config.name}-${hostname()}`,
    namespace: config.namespace,
    tls: tlsOptions(config.tls),
    names: new KubeNames(config.names),
    devices,
  };
}

/** Why a KubeEdge Device could not have this name (it is also one MQTT topic level: no '/', '+', '#'), if so. */
export function nameProblem(name: string): string | undefined {
  return isKubernetesName(name) ? undefined : `"${name}" is not a Kubernetes object name (${KUBERNETES_NAME_RULE})`;
}

/**
 * Gateway device names ⇄ KubeEdge Device names (`names`, else the default).
 * A KubeEdge name maps back to its device once the device is known: named in
 * `names`, seen in a record, or learned from core-metadata (learn()). Two
 * devices whose names give the same KubeEdge name: the first one seen gets
 * it, the other is refused until `names` names it.
 */
export class KubeNames {
  private readonly inverse = new Map<string, string>();

  constructor(private readonly names: Record<string, string> = {}) {
    for (const [device, name] of Object.entries(names)) this.inverse.set(name, device);
  }

  toKube(device: string): string {
    const name = this.names[device] ?? toKubernetesName(device) /* the name `gw export kubeedge` gives its Device */;
    if (!this.inverse.has(name)) this.inverse.set(name, device);
    return name;
  }

  /** The gateway device of a KubeEdge name, when known. */
  fromKube(name: string): string | undefined {
    return this.inverse.get(name);
  }

  /** Devices known to exist (core-metadata): their KubeEdge names map back to them from now on. */
  learn(devices: string[]): void {
    for (const device of [...devices].sort()) this.toKube(device);
  }

  /** Every device known so far. */
  known(): string[] {
    return [...this.inverse.values()];
  }

  /** Why the device cannot be a KubeEdge Device under its name, if so. */
  problem(device: string): string | undefined {
    const name = this.toKube(device);
    const problem = nameProblem(name);
    if (problem) return `device ${device}: ${problem}: give it one under names`;
    const owner = this.inverse.get(name);
    return owner === device ? undefined : `device ${device}: its KubeEdge name "${name}" is taken by device ${owner}: give it another under names`;
  }
}
