/**
 * The user's resources folder (GW_RESOURCES_DIR, default ./data/resources):
 * profiles, device files, provision watchers, pipelines and units the
 * gateway loads at boot. On first start it is seeded with a copy of the
 * samples bundled with the gateway (./resources), so a user edits files of
 * their own and never the source tree. Seeding copies only what is missing
 * (a device file the user put there before the first start stays as it is)
 * and ends with a marker file; once that is there the folder is never touched
 * again (a new release's samples do not overwrite the user's edits, and a
 * sample the user deleted stays deleted).
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Logger } from '@gw/service-kit';

/** Bundled folders a user may need to edit; `examples/` stays in the bundle (walk-throughs copy from it). */
const SEEDED = ['profiles', 'devices', 'provision-watchers', 'app-service', 'uom.yaml'];

/** Written when seeding is complete; an interrupted seed is completed at the next start. */
export const SEEDED_MARKER = '.seeded';

/** The `resources` folder shipped beside package.json (the checkout, or /app in the image). */
export function bundledResourcesDir(from: string = __dirname): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'resources', 'uom.yaml'))) return join(dir, 'resources');
    if (dirname(dir) === dir) throw new Error(`no bundled resources folder above ${from}`);
  }
}

/** Copies the bundled samples into `target` unless it was seeded before; resolves to whether it seeded. */
export async function seedResources(target: string, logger: Logger, bundled: string = bundledResourcesDir()): Promise<boolean> {
  if (existsSync(join(target, SEEDED_MARKER))) return false;
  await mkdir(target, { recursive: true });
  for (const entry of SEEDED) {
    // force: false keeps every file already there (the user's, or a partial earlier seed's).
    if (existsSync(join(bundled, entry))) await cp(join(bundled, entry), join(target, entry), { recursive: true, force: false, errorOnExist: false });
  }
  await writeFile(join(target, SEEDED_MARKER), `seeded from ${bundled}; delete this folder to start again from the samples\n`);
  logger.info({ resourcesDir: target, from: bundled }, 'resources folder seeded with the bundled samples: profiles, devices and pipelines are read from here (GW_RESOURCES_DIR)');
  return true;
}
