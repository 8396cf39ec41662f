import { ErrorKind, GatewayError } from '@gw/contracts';

/**
 * A value that breaks its resource's contract (wrong type, out of range,
 * overflow after transforms). Built only on failure, so hot paths pass the
 * names along instead of allocating a context per reading.
 */
export function valueError(deviceName: string, resourceName: string, problem: string): GatewayError {
  return new GatewayError(ErrorKind.ContractInvalid, `device "${deviceName}" resource "${resourceName}": ${problem}`);
}

/** How a raw value looks in a message: bigints and strings stay readable. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Uint8Array) return `${value.constructor.name}(${value.length})`;
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 80 ? text.slice(0, 77) + '...' : text;
  } catch {
    return String(value);
  }
}
