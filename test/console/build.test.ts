/**
 * The web console is built by the build `npm start` runs (bin/build-if-changed.js):
 * on a tree never built it writes dist/console (index.html and the assets it
 * names), an unchanged tree is left alone, a changed source is built again.
 * Run in a copy of apps/console/web (GW_BUILD_ROOT) with the project's node_modules.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');
const SCRIPT = join(ROOT, 'bin/build-if-changed.js');

describe('the web console build (npm start, npm run build)', () => {
  const root = mkdtempSync(join(tmpdir(), 'gw-console-build-'));
  const built = (path: string) => join(root, 'dist/console', path);
  const build = () => {
    const run = spawnSync(process.execPath, [SCRIPT], { env: { ...process.env, GW_BUILD_ROOT: root }, encoding: 'utf8' });
    if (run.status !== 0) throw new Error(run.stderr);
    return run.stderr;
  };

  beforeAll(() => {
    mkdirSync(join(root, 'apps/console'), { recursive: true });
    mkdirSync(join(root, 'libs'), { recursive: true });
    cpSync(join(ROOT, 'apps/console/web'), join(root, 'apps/console/web'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('builds the single-page app on the first start, with every asset index.html names', () => {
    expect(build()).toMatch(/web console built/);
    const html = readFileSync(built('index.html'), 'utf8');
    const assets = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map((m) => m[1]);
    expect(assets).toEqual(expect.arrayContaining([expect.stringMatching(/\.js$/), expect.stringMatching(/\.css$/)]));
    for (const asset of assets) expect(statSync(built(asset)).size).toBeGreaterThan(0);
    // No inline script: the console's Content-Security-Policy allows its own files only.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });

  it('leaves an unchanged tree alone and builds again after a source changed', () => {
    const before = statSync(built('index.html')).mtimeMs;
    expect(build()).toBe('');
    expect(statSync(built('index.html')).mtimeMs).toBe(before);
    const source = join(root, 'apps/console/web/src/format.js');
    const later = new Date(Date.now() + 2_000);
    utimesSync(source, later, later);
    expect(build()).toMatch(/web console built/);
  });
});
