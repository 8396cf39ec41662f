/**
 * The user's resources folder (GW_RESOURCES_DIR, default ./data/resources):
 * profiles, device files, provision watchers, pipelines and units the
 * gateway loads at boot. On first start it is seeded with a copy of the
 * samples bundled with the gateway (./resources), so a user edits files of
 * their own and never the source tree; once it exists it is never touched
 * again (a new release's samples do not overwrite the user's edits).
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Logger } from '@gw/service-kit';

/** Bundled folders a user may need to edit; `examples/` stays in the bundle (walk-throughs copy from it). */
const SEEDED = ['profiles', 'devices', 'provision-watchers', 'app-service', 'uom.yaml'];

/** The `resources` folder shipped beside package.json (the checkout, or /app in the image). */
export function bundledResourcesDir(from: string = __dirname): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'resources', 'uom.yaml'))) return join(dir, 'resources');
    if (dirname(dir) === dir) throw new Error(`no bundled resources folder above ${from}`);
  }
}

/**
 * Copies the bundled samples into `target` unless it exists. The copy is made
 * beside it and renamed into place, so an interrupted first start leaves no
 * half-seeded folder that later starts would take as the user's.
 */
export async function seedResources(target: string, logger: Logger, bundled: string = bundledResourcesDir()): Promise<boolean> {
  if (existsSync(target)) return false;
  const staging = `${target}.seeding-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  try {
    await mkdir(staging, { recursive: true });
    for (const entry of SEEDED) {
      if (existsSync(join(bundled, entry))) await cp(join(bundled, entry), join(staging, entry), { recursive: true });
    }
    await rename(staging, target);
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
  logger.info({ resourcesDir: target, from: bundled }, 'resources folder seeded with the bundled samples: profiles, devices and pipelines are read from here (GW_RESOURCES_DIR)');
  return true;
}
