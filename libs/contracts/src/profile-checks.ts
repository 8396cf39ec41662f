/**
 * Checks across the fields of a device profile that its schema cannot express.
 * They follow what EdgeX's core-metadata refuses (duplicate names, operations
 * on missing resources, a command allowing more than its resources do, a
 * writable Binary resource) and add checks of our own that EdgeX's samples
 * pass (defaultValue fits the valueType, minimum <= maximum, name clashes).
 */
import { canRead, canWrite, findResource } from './commands';
import { duplicateNames } from './duplicates';
import { DeviceCommand, DeviceProfile, DeviceResource, ResourceOperation } from './models';
import { PathSegment, Problem } from './problems';
import { valueProblem } from './values';

export function profileProblems(profile: DeviceProfile): Problem[] {
  return [
    ...duplicateNames(profile.deviceResources, ['deviceResources'], 'deviceResource'),
    ...duplicateNames(profile.deviceCommands, ['deviceCommands'], 'deviceCommand'),
    ...profile.deviceResources.flatMap((r, i) => resourceProblems(r, ['deviceResources', i, 'properties'])),
    ...profile.deviceCommands.flatMap((c, i) => commandProblems(c, profile, ['deviceCommands', i])),
  ];
}

function resourceProblems(resource: DeviceResource, at: PathSegment[]): Problem[] {
  const { valueType, readWrite, minimum, maximum, defaultValue } = resource.properties;
  const problems: Problem[] = [];
  if (valueType === 'Binary' && canWrite(readWrite)) {
    problems.push({ path: [...at, 'readWrite'], message: `"${readWrite}" is not allowed: a Binary resource is read-only (R)` });
  }
  if (minimum !== undefined && maximum !== undefined && minimum > maximum) {
    problems.push({ path: [...at, 'minimum'], message: `${minimum} is greater than maximum ${maximum}` });
  }
  // An empty defaultValue means "none" in EdgeX.
  const wrongDefault = defaultValue ? valueProblem(valueType, defaultValue) : undefined;
  if (wrongDefault) problems.push({ path: [...at, 'defaultValue'], message: wrongDefault });
  return problems;
}

function commandProblems(command: DeviceCommand, profile: DeviceProfile, at: PathSegment[]): Problem[] {
  const problems: Problem[] = [];
  if (shadowsResource(command, profile)) {
    problems.push({
      path: [...at, 'name'],
      message: `"${command.name}" is also a deviceResource name; a deviceCommand may reuse it only to wrap that resource alone, or it hides the resource`,
    });
  }
  command.resourceOperations.forEach((op, k) => {
    const opAt = [...at, 'resourceOperations', k];
    const resource = findResource(profile, op.deviceResource);
    if (!resource) {
      problems.push({ path: [...opAt, 'deviceResource'], message: `no deviceResource named "${op.deviceResource}" in this profile` });
      return;
    }
    const allowed = resource.properties.readWrite;
    if ((canRead(command.readWrite) && !canRead(allowed)) || (canWrite(command.readWrite) && !canWrite(allowed))) {
      problems.push({
        path: [...at, 'readWrite'],
        message: `"${command.readWrite}" is more than deviceResource "${resource.name}" allows ("${allowed}")`,
      });
    }
    const wrongDefault = op.defaultValue ? valueProblem(resource.properties.valueType, unmapped(op, op.defaultValue)) : undefined;
    if (wrongDefault) problems.push({ path: [...opAt, 'defaultValue'], message: wrongDefault });
  });
  return problems;
}

/**
 * EdgeX lets a deviceCommand share a resource's name and then offers only the
 * command. Its own Simple-Driver sample does that harmlessly (command `Image`
 * wraps resource `Image`); any other command of that name would make the
 * resource unreachable under its name, so it is refused.
 */
function shadowsResource(command: DeviceCommand, profile: DeviceProfile): boolean {
  if (!findResource(profile, command.name)) return false;
  const ops = command.resourceOperations;
  return !(ops.length === 1 && ops[0].deviceResource === command.name);
}

/** A SET value may be written as a mapping's value (`ON`); the SDK turns it back into the key (`true`). */
function unmapped(op: ResourceOperation, value: string): string {
  const entry = Object.entries(op.mappings ?? {}).find(([, mapped]) => mapped === value);
  return entry ? entry[0] : value;
}
