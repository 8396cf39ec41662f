/**
 * Checks a SET body before it travels to the device service, so a typo in a
 * resource name or a value that cannot fit its valueType is answered at once
 * with a 400 naming device, command, resource and value.
 */
import { DeviceProfile, ErrorKind, GatewayError, ProfileCommand, findCommand, findResource, valueProblem } from '@gw/contracts';

export type SetValues = Record<string, unknown>;

export function isSetBody(body: unknown): body is SetValues {
  return typeof body === 'object' && body !== null && !Array.isArray(body);
}

/** The shape alone, checked before anything is looked up. */
export function requireSetBody(deviceName: string, commandName: string, body: unknown): SetValues {
  if (isSetBody(body)) return body;
  throw new GatewayError(
    ErrorKind.ContractInvalid,
    `set '${commandName}' on device '${deviceName}': the body must be a JSON object of resource names to values, got ${describe(body)}`,
  );
}

/** Throws ContractInvalid unless `body` is `{ resourceName: value }` for resources of this command only. */
export function checkSetValues(deviceName: string, profile: DeviceProfile, command: ProfileCommand, body: unknown): SetValues {
  const where = `set '${command.name}' on device '${deviceName}'`;
  const values = requireSetBody(deviceName, command.name, body);
  // A hidden deviceCommand does not shadow a visible resource of the same name (commandsOf lists the resource).
  const deviceCommand = findCommand(profile, command.name);
  const operations = deviceCommand && !deviceCommand.isHidden ? deviceCommand.resourceOperations : undefined;
  for (const [name, value] of Object.entries(values)) {
    if (!command.resourceNames.includes(name)) {
      throw new GatewayError(
        ErrorKind.ContractInvalid,
        `${where}: '${name}' is not a resource of this command (expected ${command.resourceNames.join(', ')})`,
      );
    }
    const text = valueText(value);
    if (text === undefined) {
      throw new GatewayError(
        ErrorKind.ContractInvalid,
        `${where}: ${name}: a value must be text, a number, a boolean, an array or an object, got ${describe(value)}`,
      );
    }
    // Values a resource operation maps (e.g. "ON" <-> "1") are the device service's to translate.
    const mappings = operations?.find((op) => op.deviceResource === name)?.mappings;
    if (mappings && (Object.hasOwn(mappings, text) || Object.values(mappings).includes(text))) continue;
    const resource = findResource(profile, name);
    const problem = resource && valueProblem(resource.properties.valueType, text);
    if (problem) throw new GatewayError(ErrorKind.ContractInvalid, `${where}: ${name}: ${problem}`);
  }
  return values;
}

/** EdgeX sends values as strings, and arrays or objects as JSON; numbers and booleans are read as their text. */
function valueText(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'boolean':
      return String(value);
    case 'object':
      return value === null ? undefined : JSON.stringify(value);
    default:
      return undefined;
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'no body';
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : typeof value;
}
