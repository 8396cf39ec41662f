import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { Device, ErrorKind, GatewayError, ProvisionWatcher, parseDeviceList, parseProvisionWatcher } from '@gw/contracts';
import { DevicesService } from '../domain/devices.service';
import { ProfilesService } from '../domain/profiles.service';
import { WatchersService } from '../domain/watchers.service';

export interface ResourceFolders {
  profilesDir?: string;
  devicesDir?: string;
  provisionWatchersDir?: string;
}

/** Whether a device service is registered. */
export interface KnownServices {
  exists(name: string): Promise<boolean>;
}

/** The part of the service's (pino) logger this needs. */
export interface LoaderLog {
  info(context: object, message?: string): void;
  warn(context: object, message?: string): void;
  error(context: object, message?: string): void;
}

export interface LoadReport {
  added: number;
  kept: number;
  waiting: number;
  rejected: number;
}

const FILE = /\.(ya?ml|json)$/i;

/**
 * Loads profiles, then devices and provision watchers, from folders at boot.
 * Idempotent: an entity that already exists is kept as it is (REST changes made
 * since win), so restarting never duplicates or overwrites. A file that does not
 * parse is logged with file, field and line, and the rest still load.
 *
 * Devices and watchers belong to a device service that may register after
 * metadata starts (it does in docker compose), so those whose service is not
 * known yet wait in memory and are added when it registers. A device without a
 * serviceName takes the name of the sub-folder it sits in
 * (`devices/device-virtual/*.yaml`).
 */
export class ResourceLoader {
  readonly report: LoadReport = { added: 0, kept: 0, waiting: 0, rejected: 0 };
  private readonly waitingDevices = new Map<string, Array<{ device: Device; source: string }>>();
  private readonly waitingWatchers = new Map<string, Array<{ watcher: ProvisionWatcher; source: string }>>();

  constructor(
    private readonly folders: ResourceFolders,
    private readonly profiles: ProfilesService,
    private readonly devices: DevicesService,
    private readonly watchers: WatchersService,
    private readonly services: KnownServices,
    private readonly log: LoaderLog,
  ) {}

  async loadAll(): Promise<LoadReport> {
    if (this.folders.profilesDir) {
      for (const file of await yamlFiles(this.folders.profilesDir)) {
        await this.attempt(file.path, async () => {
          await this.keepOrAdd(async () => {
            const { ignored } = await this.profiles.addYaml(file.text, file.path);
            this.ignored(file.path, ignored);
          });
        });
      }
    }
    if (this.folders.devicesDir) {
      for (const file of await yamlFiles(this.folders.devicesDir)) {
        let devices: Device[] = [];
        await this.attempt(file.path, async () => {
          devices = parseDeviceList(file.text, { source: file.path, onIgnored: (paths) => this.ignored(file.path, paths) });
        });
        // One refused device (say, an unknown profile) must not hold back the others in its file.
        for (const device of devices) {
          await this.attempt(`${file.path}: device '${device.name}'`, async () => {
            const serviceName = device.serviceName ?? file.folder;
            if (!serviceName) {
              throw new GatewayError(ErrorKind.ContractInvalid, 'serviceName is missing and the file is not in a service sub-folder');
            }
            await this.addDevice({ ...device, serviceName }, file.path);
          });
        }
      }
    }
    if (this.folders.provisionWatchersDir) {
      for (const file of await yamlFiles(this.folders.provisionWatchersDir)) {
        await this.attempt(file.path, async () => {
          const watcher = parseProvisionWatcher(file.text, { source: file.path, onIgnored: (paths) => this.ignored(file.path, paths) });
          await this.addWatcher({ ...watcher, serviceName: watcher.serviceName ?? file.folder }, file.path);
        });
      }
    }
    this.log.info({ ...this.report }, 'resource folders loaded');
    return this.report;
  }

  /** Adds what was waiting for this device service. */
  async serviceAdded(serviceName: string): Promise<void> {
    const devices = this.waitingDevices.get(serviceName) ?? [];
    const watchers = this.waitingWatchers.get(serviceName) ?? [];
    this.waitingDevices.delete(serviceName);
    this.waitingWatchers.delete(serviceName);
    this.report.waiting -= devices.length + watchers.length;
    for (const { device, source } of devices) await this.attempt(source, () => this.addDevice(device, source));
    for (const { watcher, source } of watchers) await this.attempt(source, () => this.addWatcher(watcher, source));
  }

  private async addDevice(device: Device, source: string): Promise<void> {
    if (await this.services.exists(device.serviceName!)) {
      await this.keepOrAdd(() => this.devices.add(device, { path: `device '${device.name}'` }));
      return;
    }
    push(this.waitingDevices, device.serviceName!, { device, source });
    this.report.waiting++;
    this.log.info({ source, device: device.name, deviceService: device.serviceName }, 'device waits for its device service to register');
  }

  private async addWatcher(watcher: ProvisionWatcher, source: string): Promise<void> {
    if (!watcher.serviceName || (await this.services.exists(watcher.serviceName))) {
      await this.keepOrAdd(() => this.watchers.add(watcher, `provision watcher '${watcher.name}'`));
      return;
    }
    push(this.waitingWatchers, watcher.serviceName, { watcher, source });
    this.report.waiting++;
    this.log.info({ source, watcher: watcher.name, deviceService: watcher.serviceName }, 'provision watcher waits for its device service to register');
  }

  /** Keys EdgeX would ignore too: loaded without them, but said once per file (a likely typo). */
  private ignored(source: string, paths: string[]): void {
    if (paths.length) this.log.warn({ file: source, ignored: paths.slice(0, 20), count: paths.length }, 'ignored unknown fields (as EdgeX does): a typo?');
  }

  private async keepOrAdd(add: () => Promise<unknown>): Promise<void> {
    try {
      await add();
      this.report.added++;
    } catch (err) {
      if (!GatewayError.is(err, ErrorKind.DuplicateName)) throw err;
      this.report.kept++;
    }
  }

  private async attempt(source: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (err) {
      this.report.rejected++;
      this.log.error({ source, error: (err as Error).message }, 'resource file rejected');
    }
  }
}

function push<V>(map: Map<string, V[]>, key: string, value: V): void {
  const list = map.get(key) ?? [];
  list.push(value);
  map.set(key, list);
}

interface ResourceFile {
  path: string;
  /** Name of the sub-folder below the root, if any: the default device service. */
  folder?: string;
  text: string;
}

/** YAML/JSON files of a folder and its direct sub-folders, sorted for a repeatable order. */
async function yamlFiles(root: string): Promise<ResourceFile[]> {
  const files: ResourceFile[] = [];
  const entries = await readdir(root, { withFileTypes: true, recursive: true }).catch((err: NodeJS.ErrnoException) => {
    throw new GatewayError(ErrorKind.Config, `resource folder ${root} cannot be read: ${err.code ?? err.message}`);
  });
  for (const entry of entries) {
    if (!entry.isFile() || !FILE.test(entry.name)) continue;
    const path = join(entry.parentPath, entry.name);
    const [first, ...rest] = relative(root, path).split(/[\\/]/);
    files.push({ path, folder: rest.length ? first : undefined, text: await readFile(path, 'utf8') });
  }
  return files.sort((a, b) => a.path.localeCompare(b.path));
}
