/**
 * Adding a driver touches its folder, one registry line and its tests: no
 * other source file names a driver (by name, EdgeX service name or import).
 * A protocol's simulator (apps/<protocol>-sim) is its driver's companion and
 * may use its codecs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DRIVERS } from '@gw/drivers';

const ROOT = join(__dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts'))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)))
    .filter((file) => !file.startsWith('libs/drivers/') && !/^apps\/[a-z0-9-]+-sim\//.test(file));
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

describe('the driver registry', () => {
  it('lists drivers with distinct names, service names and ports', () => {
    for (const key of ['name', 'serviceName', 'defaultPort'] as const) {
      expect(new Set(DRIVERS.map((d) => d[key])).size).toBe(DRIVERS.length);
    }
  });

  it('is the only place outside libs/drivers that names a driver', () => {
    const offenders: string[] = [];
    const patterns = DRIVERS.flatMap((d) => [
      new RegExp(`(['"\`])(${escape(d.name)}|${escape(d.serviceName)})\\1`),
      new RegExp(`['"\`](@gw/drivers/${escape(d.name)}|[./]*(libs/)?drivers/${escape(d.name)}/src)[/'"\`]`),
    ]);
    for (const file of [...sources('apps'), ...sources('libs')]) {
      readFileSync(join(ROOT, file), 'utf8')
        .split('\n')
        .forEach((line, index) => {
          const comment = /^\s*(\/\/|\/\*|\*)/.test(line);
          if (!comment && patterns.some((pattern) => pattern.test(line))) offenders.push(`${file}:${index + 1}: ${line.trim()}`);
        });
    }
    expect(offenders).toEqual([]);
  });
});
