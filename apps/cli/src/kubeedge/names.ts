import { ErrorKind, GatewayError } from '@gw/contracts';

/** Kubernetes object names: DNS-1123 subdomains (lowercase letters, digits, `-` and `.`, at most 253, alphanumeric at both ends). */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function isKubernetesName(name: string): boolean {
  return name.length <= 253 && DNS_SUBDOMAIN.test(name);
}

/** The Kubernetes name of an EdgeX name: lowercased, other characters as `-` (the EdgeX name is kept in an annotation). */
export function kubernetesName(edgexName: string): string {
  // Each dot-separated part must start and end with a letter or digit.
  const name = edgexName
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .split('.')
    .map((part) => part.replace(/^-+|-+$/g, ''))
    .filter(Boolean)
    .join('.')
    .slice(0, 253)
    .replace(/[^a-z0-9]+$/, '');
  if (!isKubernetesName(name)) throw new GatewayError(ErrorKind.ContractInvalid, `"${edgexName}" has no letter or digit to make a Kubernetes name of`);
  return name;
}

/** Kubernetes names for EdgeX names, refusing two that would become the same object. */
export function uniqueKubernetesNames(edgexNames: string[], what: string): Map<string, string> {
  const names = new Map<string, string>();
  const taken = new Map<string, string>();
  for (const edgex of edgexNames) {
    const name = kubernetesName(edgex);
    const other = taken.get(name);
    if (other !== undefined && other !== edgex) {
      throw new GatewayError(ErrorKind.ContractInvalid, `${what} "${other}" and "${edgex}" would both be named "${name}" in Kubernetes`);
    }
    taken.set(name, edgex);
    names.set(edgex, name);
  }
  return names;
}
