import type { FieldIssue } from './errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A request DTO's `requestId`, as EdgeX validates it (go-mod-core-contracts
 * BaseRequest: empty or a UUID): absent, '' or a UUID string. Only such an
 * id is echoed back in the response.
 */
export function isValidRequestId(value: unknown): value is string | undefined {
  return value === undefined || value === '' || (typeof value === 'string' && UUID.test(value));
}

/** The issue with a requestId at `path`, or undefined when it is valid. */
export function requestIdIssue(value: unknown, path = 'requestId'): FieldIssue | undefined {
  if (isValidRequestId(value)) return undefined;
  const shown = typeof value === 'string' ? `"${value.length > 64 ? `${value.slice(0, 64)}…` : value}"` : typeof value;
  return { path, message: `must be empty or a UUID, got ${shown}` };
}
