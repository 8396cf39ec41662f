import { z } from 'zod';
import {
  DeviceCommand,
  DeviceProfile,
  DeviceResource,
  ErrorKind,
  GatewayError,
  SystemEventType,
  ValidationError,
  checkDeviceAgainstProfile,
  formatIssues,
  validateDeviceProfile,
  Page,
} from '@gw/contracts';
import { LabelledPageQuery, RefFilter } from '../persistence/document-store';
import { MetadataRepository, MetadataStores } from '../persistence/metadata-stores';
import { stripIdentity } from './patch';
import { checkProfileSize, checkYamlProfileSize, DEFAULT_PROFILE_LIMITS, ProfileLimits } from './profile-limits';
import { ProfileParser } from './profile-parser';
import { UnitsOfMeasure } from './units-of-measure';
import type { ParsedProfile } from './profile-text';
import { SystemEventPublisher } from './system-events';

const OWNER = 'core-metadata';

export const BasicInfoPatch = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    manufacturer: z.string().optional(),
    model: z.string().optional(),
    labels: z.array(z.string()).optional(),
  })
  .strict();
export type BasicInfoPatch = z.infer<typeof BasicInfoPatch>;

const TagsUpdate = z.array(z.object({ name: z.string().min(1), tags: z.record(z.string(), z.unknown()) }).strict());
export const TagsPatch = z
  .object({ apiVersion: z.string().optional(), deviceResources: TagsUpdate.optional(), deviceCommands: TagsUpdate.optional() })
  .strict();
export type TagsPatch = z.infer<typeof TagsPatch>;

/** The value of a text that is one JSON object, else undefined (YAML, or not valid JSON: the YAML parser says why). */
function jsonDocument(text: string): unknown {
  if (!/^\uFEFF?\s*\{/.test(text)) return undefined;
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    return undefined;
  }
}

/** Request parts that are not whole EdgeX models get their own small schemas, with the same field-naming errors. */
function parsed<T>(schema: z.ZodType<T>, input: unknown, path: string): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(
    result.error.issues.map((issue) => ({ path: [path, ...issue.path].join('.'), message: issue.message })),
  );
}

/** Device profiles: validated on every change, and never changed under devices that rely on them. */
export class ProfilesService {
  constructor(
    private readonly repo: MetadataRepository,
    private readonly events: SystemEventPublisher,
    private readonly limits: ProfileLimits = DEFAULT_PROFILE_LIMITS,
    private readonly parser = new ProfileParser(),
    private readonly units = new UnitsOfMeasure(),
  ) {}

  async add(input: unknown, path = 'profile'): Promise<DeviceProfile> {
    return this.insert(this.validated(input, path, { stripIdentity: true }));
  }

  /** Adds an uploaded profile; `ignored`: the keys EdgeX would ignore too, for the answer's message. */
  async addYaml(text: string, source: string): Promise<{ profile: DeviceProfile; ignored: string[] }> {
    const { profile, ignored } = await this.parsed(text, source);
    return { profile: await this.insert(profile), ignored };
  }

  async update(input: unknown, path = 'profile'): Promise<DeviceProfile> {
    return this.replace(this.validated(input, path));
  }

  async updateYaml(text: string, source: string): Promise<{ profile: DeviceProfile; ignored: string[] }> {
    const { profile, ignored } = await this.parsed(text, source);
    return { profile: await this.replace(profile), ignored };
  }

  /** A request body as a profile: its size checked before the (costlier) validation. */
  private validated(input: unknown, path: string, options: { stripIdentity?: boolean } = {}): DeviceProfile {
    checkProfileSize(input, this.limits, path);
    return validateDeviceProfile(options.stripIdentity ? stripIdentity(input) : input, { path });
  }

  /**
   * An uploaded file as a profile. JSON (which is YAML too) is read as JSON:
   * counted exactly before validation, and 100 times faster than the YAML
   * parser (its messages name the field, not the line). YAML: block-style
   * lists counted before parsing (a text whose lists cannot be counted so is
   * bounded in size), any other form once parsed, before validation. A large
   * YAML text is parsed in a worker thread (profile-parser.ts).
   */
  private async parsed(text: string, source: string): Promise<ParsedProfile> {
    const json = jsonDocument(text);
    if (json !== undefined) {
      checkProfileSize(json, this.limits, source);
      const ignored: string[] = [];
      return { profile: validateDeviceProfile(json, { source, onIgnored: (paths) => ignored.push(...paths) }), ignored };
    }
    checkYamlProfileSize(text, this.limits, source);
    return this.parser.parse(text, source, this.limits);
  }

  get(name: string): Promise<DeviceProfile> {
    return this.repo.read.profiles.getByName(name);
  }

  page(query: LabelledPageQuery, filter: RefFilter = {}): Promise<Page<DeviceProfile>> {
    return this.repo.read.profiles.page(query, filter);
  }

  async resource(profileName: string, resourceName: string): Promise<DeviceResource> {
    const profile = await this.get(profileName);
    const resource = profile.deviceResources.find((r) => r.name === resourceName);
    if (!resource) {
      throw new GatewayError(ErrorKind.EntityNotFound, `device resource '${resourceName}' does not exist in profile '${profileName}'`);
    }
    return resource;
  }

  async delete(name: string): Promise<void> {
    const profile = await this.repo.transaction(async (stores) => {
      await this.refuseIfInUse(stores, name, 'delete it');
      return stores.profiles.deleteByName(name);
    });
    this.events.publish(SystemEventType.DeviceProfile, 'delete', OWNER, profile.name, profile);
  }

  patchBasicInfo(input: unknown, path = 'basicinfo'): Promise<DeviceProfile> {
    const patch = parsed(BasicInfoPatch, input, path);
    return this.change(patch.name, (profile) => {
      for (const key of ['description', 'manufacturer', 'model', 'labels'] as const) {
        if (patch[key] !== undefined) Object.assign(profile, { [key]: patch[key] });
      }
    });
  }

  addResource(profileName: string, resource: unknown): Promise<DeviceProfile> {
    return this.change(profileName, (profile) => {
      profile.deviceResources.push(resource as DeviceResource);
    });
  }

  patchResource(profileName: string, patch: { name: string; description?: string; isHidden?: boolean }) {
    return this.change(profileName, (profile) => {
      const resource = named(profile.deviceResources, patch.name, 'device resource', profileName);
      if (patch.description !== undefined) resource.description = patch.description;
      if (patch.isHidden !== undefined) resource.isHidden = patch.isHidden;
    });
  }

  deleteResource(profileName: string, resourceName: string): Promise<DeviceProfile> {
    return this.change(
      profileName,
      (profile) => {
        named(profile.deviceResources, resourceName, 'device resource', profileName);
        const user = profile.deviceCommands.find((c) => c.resourceOperations.some((op) => op.deviceResource === resourceName));
        if (user) {
          throw new GatewayError(ErrorKind.StatusConflict, `device resource '${resourceName}' is used by device command '${user.name}'`);
        }
        profile.deviceResources = profile.deviceResources.filter((r) => r.name !== resourceName);
      },
      { refuseInUse: `delete resource '${resourceName}'` },
    );
  }

  addCommand(profileName: string, command: unknown): Promise<DeviceProfile> {
    return this.change(profileName, (profile) => {
      profile.deviceCommands.push(command as DeviceCommand);
    });
  }

  patchCommand(profileName: string, patch: { name: string; isHidden?: boolean }) {
    return this.change(profileName, (profile) => {
      const command = named(profile.deviceCommands, patch.name, 'device command', profileName);
      if (patch.isHidden !== undefined) command.isHidden = patch.isHidden;
    });
  }

  deleteCommand(profileName: string, commandName: string): Promise<DeviceProfile> {
    return this.change(
      profileName,
      (profile) => {
        named(profile.deviceCommands, commandName, 'device command', profileName);
        profile.deviceCommands = profile.deviceCommands.filter((c) => c.name !== commandName);
      },
      { refuseInUse: `delete command '${commandName}'` },
    );
  }

  patchTags(profileName: string, input: unknown): Promise<DeviceProfile> {
    const patch = parsed(TagsPatch, input, 'body');
    return this.change(profileName, (profile) => {
      for (const item of patch.deviceResources ?? []) {
        const resource = named(profile.deviceResources, item.name, 'device resource', profileName);
        resource.tags = { ...resource.tags, ...item.tags };
      }
      for (const item of patch.deviceCommands ?? []) {
        const command = named(profile.deviceCommands, item.name, 'device command', profileName);
        command.tags = { ...command.tags, ...item.tags };
      }
    });
  }

  private async insert(profile: DeviceProfile): Promise<DeviceProfile> {
    this.units.check(profile);
    const stored = await this.repo.transaction((stores) => stores.profiles.insert(profile));
    this.events.publish(SystemEventType.DeviceProfile, 'add', OWNER, stored.name, stored);
    return stored;
  }

  /** Full replacement, found by id when given (a rename), else by name. */
  private async replace(profile: DeviceProfile): Promise<DeviceProfile> {
    this.units.check(profile);
    const stored = await this.repo.transaction(async (stores) => {
      const current = profile.id
        ? await stores.profiles.getById(profile.id)
        : await stores.profiles.getByName(profile.name);
      if (current.name !== profile.name) await this.refuseIfInUse(stores, current.name, 'rename it');
      await this.refuseIfDevicesBreak(stores, profile);
      return stores.profiles.replace({ ...profile, id: current.id! });
    });
    this.events.publish(SystemEventType.DeviceProfile, 'update', OWNER, stored.name, stored);
    return stored;
  }

  /** Read-modify-write of one profile; the result is validated as a whole before it is stored. */
  private async change(
    profileName: string,
    edit: (profile: DeviceProfile) => void,
    options: { refuseInUse?: string } = {},
  ): Promise<DeviceProfile> {
    const stored = await this.repo.transaction(async (stores) => {
      const current = await stores.profiles.getByName(profileName);
      if (options.refuseInUse) await this.refuseIfInUse(stores, profileName, options.refuseInUse);
      const edited = structuredClone(current);
      edit(edited);
      const { id, created: _c, modified: _m, ...body } = edited;
      const profile = this.validated(body, 'profile');
      this.units.check(profile);
      await this.refuseIfDevicesBreak(stores, profile);
      return stores.profiles.replace({ ...profile, id: id! });
    });
    this.events.publish(SystemEventType.DeviceProfile, 'update', OWNER, stored.name, stored);
    return stored;
  }

  private async refuseIfInUse(stores: MetadataStores, name: string, action: string): Promise<void> {
    const devices = await stores.devices.count({ profileName: name });
    const watchers = await stores.watchers.count({ profileName: name });
    if (devices + watchers > 0) {
      throw new GatewayError(
        ErrorKind.StatusConflict,
        `device profile '${name}' is in use by ${devices} device(s) and ${watchers} provision watcher(s); cannot ${action}`,
      );
    }
  }

  /** A profile change must not leave a device's autoEvent pointing at a source that no longer exists. */
  private async refuseIfDevicesBreak(stores: MetadataStores, profile: DeviceProfile): Promise<void> {
    const devices = await stores.devices.all({ profileName: profile.name });
    const broken = devices.flatMap((device) => checkDeviceAgainstProfile(device, profile, `device '${device.name}'`));
    if (broken.length) {
      throw new GatewayError(ErrorKind.StatusConflict, `the change would break devices using profile '${profile.name}': ${formatIssues(broken)}`);
    }
  }
}

function named<T extends { name: string }>(items: T[], name: string, kind: string, profileName: string): T {
  const item = items.find((i) => i.name === name);
  if (!item) throw new GatewayError(ErrorKind.EntityNotFound, `${kind} '${name}' does not exist in profile '${profileName}'`);
  return item;
}
