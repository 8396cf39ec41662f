/**
 * Kubernetes object names (a KubeEdge Device, DeviceModel) for gateway names:
 * one rule for every place that maps them (the kubeedge-twin sink, the
 * KubeEdge export), so a device exported as a Device is the twin the sink
 * reports to.
 */

/** DNS-1123 subdomain: lowercase letters, digits, `-` and `.`, alphanumeric at both ends. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const MAX_KUBERNETES_NAME = 253;
export const KUBERNETES_NAME_RULE = `lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most ${MAX_KUBERNETES_NAME}`;

export function isKubernetesName(name: string): boolean {
  return name.length <= MAX_KUBERNETES_NAME && DNS_SUBDOMAIN.test(name);
}

/**
 * The Kubernetes name of a gateway (EdgeX) name: lowercased, runs of other
 * characters than a-z 0-9 . - made `-`, then each dot-separated part trimmed
 * of `-` (a part must start and end with a letter or digit) and empty parts
 * dropped (`Demo-Sensor-01` → `demo-sensor-01`, `Pump_.2` → `pump.2`,
 * `Line-1.-Pump` → `line-1.pump`), at most 253 characters; '' when nothing
 * is left.
 */
export function toKubernetesName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .split('.')
    .map((part) => part.replace(/^-+|-+$/g, ''))
    .filter(Boolean)
    .join('.')
    .slice(0, MAX_KUBERNETES_NAME)
    .replace(/[^a-z0-9]+$/, '');
}

/** A DNS-1123 label (a namespace): lowercase letters, digits and '-', alphanumeric at both ends, at most 63. */
export const KUBERNETES_LABEL_RULE = "lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63";

export function isKubernetesLabel(name: string): boolean {
  return name.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name);
}
