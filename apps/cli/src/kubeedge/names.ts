import { ErrorKind, GatewayError } from '@gw/contracts';
import { isKubernetesName, toKubernetesName } from '@gw/contracts/kubernetes-names';

// One rule for Kubernetes names (libs/contracts/src/kubernetes-names.ts): a device exported as a Device is the twin the kubeedge-twin sink reports to.
export { isKubernetesLabel, isKubernetesName, KUBERNETES_LABEL_RULE } from '@gw/contracts/kubernetes-names';

/** The Kubernetes name of an EdgeX name (toKubernetesName; the EdgeX name is kept in an annotation); refused when nothing is left. */
export function kubernetesName(edgexName: string): string {
  const name = toKubernetesName(edgexName);
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
