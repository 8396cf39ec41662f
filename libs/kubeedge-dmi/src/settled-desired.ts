/**
 * The desired twin values the mapper has applied, per device and property
 * (the value, and desired.metadata.timestamp when edgecore sends one), kept
 * in a small JSON file under GW_DATA_DIR so a restarted mapper does not
 * write them to the device again (KubeEdge's twin rule: a restart applies
 * nothing that was already applied). Written whole, atomically (temp file
 * and rename), one write at a time; bounded by the devices the mapper holds
 * (a removed device's entries go with it).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { MapperLogger } from './log';

export interface SettledValue {
  value: string;
  /** desired.metadata.timestamp of the value applied, when edgecore sent one. */
  timestamp?: string;
}

type Contents = Record<string, Record<string, SettledValue>>;

export class SettledDesired {
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;

  private constructor(
    private readonly file: string | undefined,
    private readonly contents: Contents,
    private readonly logger: MapperLogger,
  ) {}

  /** Loads `file` (none: kept in memory only). An unreadable file is logged and started afresh: at worst a desired value is written again. */
  static async open(file: string | undefined, logger: MapperLogger): Promise<SettledDesired> {
    let contents: Contents = Object.create(null);
    if (file) {
      try {
        const { kept, dropped } = wellFormed(JSON.parse(await readFile(file, 'utf8')));
        contents = kept;
        if (dropped > 0) logger.warn({ file, dropped }, 'applied desired values not of the form {value, timestamp?} were dropped: those may be written again');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') logger.warn({ file, err: (err as Error).message }, 'the applied desired values could not be read; starting afresh');
      }
    }
    return new SettledDesired(file, contents, logger);
  }

  get(deviceId: string, property: string): SettledValue | undefined {
    return this.contents[deviceId]?.[property];
  }

  set(deviceId: string, property: string, settled: SettledValue): void {
    (this.contents[deviceId] ??= {})[property] = settled;
    this.save();
  }

  forget(deviceId: string): void {
    if (!(deviceId in this.contents)) return;
    delete this.contents[deviceId];
    this.save();
  }

  /** Drops the devices not in `deviceIds` (edgecore no longer has them). */
  retain(deviceIds: Set<string>): void {
    const gone = Object.keys(this.contents).filter((id) => !deviceIds.has(id));
    for (const id of gone) delete this.contents[id];
    if (gone.length > 0) this.save();
  }

  /** Resolves once the last change is on disk. */
  flushed(): Promise<void> {
    return this.writing;
  }

  private save(): void {
    const file = this.file;
    if (!file || this.dirty) return;
    this.dirty = true;
    this.writing = this.writing.then(async () => {
      this.dirty = false;
      const aside = `${file}.${process.pid}.tmp`;
      try {
        await mkdir(dirname(file), { recursive: true, mode: 0o700 });
        await writeFile(aside, JSON.stringify(this.contents), { mode: 0o600 });
        await rename(aside, file);
      } catch (err) {
        this.logger.warn({ file, err: (err as Error).message }, 'the applied desired values could not be stored (is GW_DATA_DIR writable?)');
      }
    });
  }
}

/** The entries of a stored file that are `{device: {property: {value: string, timestamp?: string}}}`, in objects without a prototype. */
function wellFormed(parsed: unknown): { kept: Contents; dropped: number } {
  const kept: Contents = Object.create(null);
  let dropped = 0;
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(parsed)) return { kept, dropped: 1 };
  for (const [device, properties] of Object.entries(parsed)) {
    if (!isObject(properties)) {
      dropped++;
      continue;
    }
    const entries: Record<string, SettledValue> = Object.create(null);
    for (const [property, settled] of Object.entries(properties)) {
      const ok = isObject(settled) && typeof settled.value === 'string' && (settled.timestamp === undefined || typeof settled.timestamp === 'string');
      if (!ok) {
        dropped++;
        continue;
      }
      entries[property] = settled.timestamp === undefined ? { value: settled.value as string } : { value: settled.value as string, timestamp: settled.timestamp as string };
    }
    kept[device] = entries;
  }
  return { kept, dropped };
}
