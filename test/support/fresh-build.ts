import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '../..');

/**
 * Tests that run a service as a child process run the built code (dist/):
 * `npm test` builds first. Run alone, such a test refuses a missing or stale
 * build instead of silently testing old code.
 */
export function requireFreshBuild(...sourceDirs: string[]): void {
  for (const dir of sourceDirs) {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })) {
      // Specs and declaration files (.d.ts) compile to nothing.
      if (!entry.isFile() || !entry.name.endsWith('.ts') || /\.(spec|d)\.ts$/.test(entry.name)) continue;
      const source = join(entry.parentPath, entry.name);
      const built = join(ROOT, 'dist', relative(ROOT, source)).replace(/\.ts$/, '.js');
      let stale: boolean;
      try {
        stale = statSync(built).mtimeMs < statSync(source).mtimeMs;
      } catch {
        throw new Error(`${relative(ROOT, built)} is missing: run \`npm run build\` first (this test runs the built service)`);
      }
      if (stale) throw new Error(`${relative(ROOT, built)} is older than its source: run \`npm run build\` first`);
    }
  }
}
