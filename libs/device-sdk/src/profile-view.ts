/**
 * A profile worked out once into what the command pipeline needs: every
 * deviceCommand and every deviceResource as a named source, with its driver
 * requests prebuilt (reused on every read, so polling allocates none) and the
 * reason a GET or SET is refused, if it is. Built when a profile arrives,
 * replaced when it changes.
 */
import { canRead, canWrite, DeviceProfile, DeviceResource } from '@gw/contracts';
import type { CommandRequest } from './driver/protocol-driver';

export interface SourceOperation {
  resource: DeviceResource;
  request: CommandRequest;
  /** resourceOperation mappings (device value -> presented value on read; the reverse on write). */
  mappings?: Record<string, string>;
  /** The value a SET uses when the request leaves this resource out: the operation's, else the resource's. */
  defaultValue?: string;
}

export interface Source {
  name: string;
  kind: 'command' | 'resource';
  operations: SourceOperation[];
  /** The driver requests of every operation, in order (what one read of this source sends). */
  requests: CommandRequest[];
  /** Why a GET is refused (405), or undefined when it is allowed. */
  readProblem?: string;
  /** Why a SET is refused (405), or undefined when it is allowed. */
  writeProblem?: string;
}

export class ProfileView {
  private readonly sources = new Map<string, Source>();
  private readonly resources = new Map<string, DeviceResource>();

  constructor(readonly profile: DeviceProfile) {
    const requests = new Map<string, CommandRequest>();
    for (const resource of profile.deviceResources) {
      this.resources.set(resource.name, resource);
      requests.set(resource.name, {
        resource,
        attributes: resource.attributes ?? {},
        valueType: resource.properties.valueType,
      });
    }
    // Resources first, so a deviceCommand of the same name replaces its resource (EdgeX lets the command win).
    for (const resource of profile.deviceResources) {
      const op: SourceOperation = {
        resource,
        request: requests.get(resource.name)!,
        defaultValue: resource.properties.defaultValue,
      };
      const { readWrite } = resource.properties;
      this.sources.set(resource.name, {
        name: resource.name,
        kind: 'resource',
        operations: [op],
        requests: [op.request],
        readProblem: canRead(readWrite) ? undefined : `resource "${resource.name}" is write-only (readWrite ${readWrite})`,
        writeProblem: canWrite(readWrite) ? undefined : `resource "${resource.name}" is read-only (readWrite ${readWrite})`,
      });
    }
    for (const command of profile.deviceCommands) {
      const operations: SourceOperation[] = [];
      let missing: string | undefined;
      for (const op of command.resourceOperations) {
        const resource = this.resources.get(op.deviceResource);
        if (!resource) {
          missing ??= `command "${command.name}" names resource "${op.deviceResource}", which profile "${profile.name}" lacks`;
          continue;
        }
        operations.push({
          resource,
          request: requests.get(resource.name)!,
          mappings: op.mappings && Object.keys(op.mappings).length > 0 ? op.mappings : undefined,
          defaultValue: op.defaultValue ?? resource.properties.defaultValue,
        });
      }
      const refused = (allowed: (rw: typeof command.readWrite) => boolean, what: string) => {
        if (missing) return missing;
        if (!allowed(command.readWrite)) return `command "${command.name}" is ${what} (readWrite ${command.readWrite})`;
        const bad = operations.find((o) => !allowed(o.resource.properties.readWrite));
        return bad
          ? `command "${command.name}": resource "${bad.resource.name}" is ${what} (readWrite ${bad.resource.properties.readWrite})`
          : undefined;
      };
      this.sources.set(command.name, {
        name: command.name,
        kind: 'command',
        operations,
        requests: operations.map((o) => o.request),
        readProblem: refused(canRead, 'write-only'),
        writeProblem: refused(canWrite, 'read-only'),
      });
    }
  }

  get name(): string {
    return this.profile.name;
  }

  /** A deviceCommand, else a deviceResource, of that name (hidden ones included: isHidden only hides from core-command's listing). */
  source(name: string): Source | undefined {
    return this.sources.get(name);
  }

  resource(name: string): DeviceResource | undefined {
    return this.resources.get(name);
  }
}
