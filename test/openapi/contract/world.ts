/**
 * What the gateway has, as the contract test draws path parameters from it:
 * related values together (a device with its profile, one of its profile's
 * resources and readable or writable commands, its service, one of its events),
 * so generated requests also reach the success path of every operation.
 * Read again before each operation: earlier ones add and delete entities.
 */
export interface KnownProfile {
  name: string;
  manufacturer?: string;
  model?: string;
  deviceResources: Array<{ name: string; properties: { valueType: string; readWrite: string } }>;
  deviceCommands: Array<{ name: string; readWrite: string; resourceOperations: Array<{ deviceResource: string }> }>;
}
interface KnownDevice {
  name: string;
  id: string;
  serviceName: string;
  profileName: string;
}

export interface World {
  /** Every name and id, for requests that name anything (mostly 404s). */
  names: string[];
  devices: KnownDevice[];
  profiles: Map<string, KnownProfile>;
  watchers: string[];
  /** Device services no device uses (deletable). */
  unusedServices: string[];
  /** Event ids by device name. */
  events: Map<string, string[]>;
  /** OPC UA trust-list thumbprints. */
  thumbprints: string[];
}

type Get = (url: string) => Promise<any>;

export async function readWorld(get: Get, urls: { metadata: string; coreData: string; opcua?: string }): Promise<World> {
  const [profileList, devices, services, watchers, events, certificates] = await Promise.all([
    get(`${urls.metadata}/api/v3/deviceprofile/all?limit=-1`).then((r) => (r.profiles ?? []) as KnownProfile[]),
    get(`${urls.metadata}/api/v3/device/all?limit=-1`).then((r) => (r.devices ?? []) as KnownDevice[]),
    get(`${urls.metadata}/api/v3/deviceservice/all?limit=-1`).then((r) => (r.services ?? []) as Array<{ name: string }>),
    get(`${urls.metadata}/api/v3/provisionwatcher/all?limit=-1`).then((r) => (r.provisionWatchers ?? []) as Array<{ name: string }>),
    get(`${urls.coreData}/api/v3/event/all?limit=200`).then((r) => (r.events ?? []) as Array<{ id: string; deviceName: string }>),
    urls.opcua ? get(`${urls.opcua}/api/v3/opcua/certificates`).then((r) => (r.certificates ?? []) as Array<{ thumbprint: string }>) : Promise.resolve([]),
  ]);
  const profiles = new Map(profileList.map((p) => [p.name, p]));
  const byName = [...devices].sort((a, b) => a.name.localeCompare(b.name));
  const names = [
    ...profileList.flatMap((p) => [p.name, ...p.deviceResources.map((r) => r.name), ...p.deviceCommands.map((c) => c.name)]),
    ...devices.map((d) => d.name),
    ...services.map((s) => s.name),
    ...watchers.map((w) => w.name),
  ];
  const eventIds = new Map<string, string[]>();
  for (const e of events) eventIds.set(e.deviceName, [...(eventIds.get(e.deviceName) ?? []), e.id]);
  return {
    // Ids differ from run to run: after the names, in the devices' order, so a seed draws the same requests again.
    names: [...[...new Set(names)].sort(), ...byName.map((d) => d.id)],
    devices: byName.filter((d) => profiles.has(d.profileName)),
    profiles,
    watchers: watchers.map((w) => w.name).sort(),
    unusedServices: services.map((s) => s.name).filter((name) => !devices.some((d) => d.serviceName === name)).sort(),
    events: eventIds,
    thumbprints: certificates.map((c) => c.thumbprint).sort(),
  };
}

/** A device and what goes with it: the values of every path parameter an operation may have. */
export interface Related {
  device: KnownDevice;
  profile: KnownProfile;
  /** A resource of the profile, and one no command of it uses (deletable). */
  resource: string;
  freeResource?: string;
  /** A command or resource the device can read, and one it can write (with the values a write needs). */
  readable?: string;
  writable?: { name: string; values: Record<string, string> };
  /** A device command of the profile. */
  deviceCommand?: string;
  watcher?: string;
  eventId?: string;
  thumbprint?: string;
}

/** A value a write of this type takes (EdgeX sends every value as text). */
function valueFor(valueType: string): string | undefined {
  if (valueType === 'Bool') return 'true';
  if (/^(Int|Uint)\d+$/.test(valueType)) return '1';
  if (/^Float\d+$/.test(valueType)) return '1.5';
  if (valueType === 'String') return 'contract';
  return undefined;
}

/** Every related set of values of one device, given the choices (indices taken modulo the lists). */
export function relatedOf(world: World, device: KnownDevice, pick: number): Related {
  const profile = world.profiles.get(device.profileName)!;
  const resources = profile.deviceResources;
  const resourceOf = (name: string) => resources.find((r) => r.name === name);
  const sources = [
    ...resources.map((r) => ({ name: r.name, readWrite: r.properties.readWrite, parts: [r.name] })),
    ...profile.deviceCommands.map((c) => ({ name: c.name, readWrite: c.readWrite, parts: c.resourceOperations.map((o) => o.deviceResource) })),
  ];
  const readable = sources.filter((s) => s.readWrite.includes('R'));
  const writable = sources
    .filter((s) => s.readWrite.includes('W'))
    .map((s) => ({ name: s.name, values: Object.fromEntries(s.parts.map((part) => [part, valueFor(resourceOf(part)?.properties.valueType ?? '')])) }))
    .filter((w) => Object.values(w.values).every((v) => v !== undefined)) as Array<{ name: string; values: Record<string, string> }>;
  const at = <T>(list: readonly T[]): T | undefined => (list.length ? list[pick % list.length] : undefined);
  return {
    device,
    profile,
    resource: at(resources)?.name ?? 'none',
    freeResource: at(resources.filter((r) => !profile.deviceCommands.some((c) => c.resourceOperations.some((o) => o.deviceResource === r.name))))?.name,
    readable: at(readable)?.name,
    writable: at(writable),
    deviceCommand: at(profile.deviceCommands)?.name,
    watcher: at(world.watchers),
    eventId: at(world.events.get(device.name) ?? []) ?? at([...world.events.values()].flat()),
    thumbprint: at(world.thumbprints),
  };
}

/** The value of path parameter `param` of `path` (`/device/name/{name}`) for this device and its kin, if it has one. */
export function relatedParam(related: Related, path: string, method: string, param: string): string | undefined {
  const segments = path.split('/');
  const at = segments.indexOf(`{${param}}`);
  // What `{name}` or `{id}` names: the segment before `name`/`id` (`/device/profile/name/{name}` is a profile's).
  const owner = segments[at - 2] ?? '';
  const { device, profile } = related;
  switch (param) {
    case 'name':
      if (owner === 'profile' || owner === 'deviceprofile') return profile.name;
      if (owner === 'service' || owner === 'deviceservice') return device.serviceName;
      if (owner === 'provisionwatcher') return related.watcher;
      return device.name;
    case 'id':
      return owner === 'event' ? related.eventId : device.id;
    case 'deviceName':
      return device.name;
    case 'profileName':
      return profile.name;
    case 'serviceName':
      return device.serviceName;
    case 'resourceName':
      return method === 'delete' ? (related.freeResource ?? related.resource) : related.resource;
    case 'sourceName':
      return related.resource;
    case 'command':
      return method === 'put' ? related.writable?.name : related.readable;
    case 'commandName':
      return related.deviceCommand;
    case 'manufacturer':
      return profile.manufacturer;
    case 'model':
      return profile.model;
    case 'thumbprint':
      return related.thumbprint;
    case 'start':
      return '0';
    case 'end':
      return `${Date.now() + 60_000}000000`;
    default:
      return undefined;
  }
}

/**
 * Profiles and services no device uses, as devices of no name (so they, their resources and commands can be deleted):
 * those with commands, those with resources no command uses, and the unused services.
 */
export function unusedProfiles(world: World): KnownDevice[][] {
  const all = unused(world);
  const profile = (d: KnownDevice) => world.profiles.get(d.profileName)!;
  const anyProfile = [...world.profiles.keys()].sort()[0];
  const services = anyProfile ? world.unusedServices.map((serviceName) => ({ name: 'none', id: 'none', serviceName, profileName: anyProfile })) : [];
  return [all.filter((d) => profile(d).deviceCommands.length > 0), all.filter((d) => relatedOf(world, d, 0).freeResource !== undefined), services];
}

function unused(world: World): KnownDevice[] {
  const used = new Set(world.devices.map((d) => d.profileName));
  const services = world.unusedServices.length ? world.unusedServices : ['none'];
  return [...world.profiles.keys()]
    .filter((name) => !used.has(name))
    .sort()
    .map((profileName, i) => ({ name: 'none', id: 'none', serviceName: services[i % services.length], profileName }));
}
