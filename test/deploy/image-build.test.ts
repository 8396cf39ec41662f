/**
 * The Docker image's build stage compiles with tsconfig.image.json from what
 * its COPY lines bring in (no Docker engine here, so no image is built in CI):
 * every source file that compile reaches must be inside those paths, or the
 * image build fails with "cannot find module" (benches import test/ helpers,
 * and test/ is not in the image).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './support';

const run = promisify(execFile);

/** The paths the build stage copies (its COPY lines before the next FROM), relative to the context. */
function buildStageCopies(dockerfile: string): string[] {
  const buildStage = dockerfile.split(/^FROM /m)[1];
  return buildStage
    .split('\n')
    .filter((line) => /^COPY\s/.test(line) && !line.includes('--from='))
    .flatMap((line) => line.replace(/^COPY\s+/, '').split(/\s+/).slice(0, -1));
}

describe('the Docker image build', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

  it('compiles with tsconfig.image.json', () => {
    expect(dockerfile).toMatch(/RUN npx tsc -p tsconfig\.image\.json && npx tsc-alias -p tsconfig\.image\.json/);
  });

  it('reaches no source file outside what its build stage copies', async () => {
    const copied = buildStageCopies(dockerfile);
    expect(copied).toEqual(expect.arrayContaining(['apps', 'libs', 'tsconfig.image.json']));
    const { stdout } = await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.image.json'), '--listFilesOnly'], {
      cwd: ROOT,
      maxBuffer: 64 * 1024 * 1024,
    });
    const ours = stdout
      .split('\n')
      .filter((file) => file && !file.includes('/node_modules/'))
      .map((file) => relative(ROOT, file));
    expect(ours.length).toBeGreaterThan(100);
    const outside = ours.filter((file) => !copied.some((path) => file === path || file.startsWith(path + '/')));
    expect(outside).toEqual([]);
  });
});
