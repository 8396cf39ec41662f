/**
 * The build of `npm start` (bin/build-if-changed.js), on a small tree of its
 * own: it compiles what is missing or changed, rewrites nothing on an
 * unchanged tree (so it never touches dist/ under a running gateway), and the
 * output runs with the @gw/* aliases resolved.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const SCRIPT = join(__dirname, '../../bin/build-if-changed.js');

describe('build-if-changed', () => {
  let root: string;
  const write = (file: string, text: string) => {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), text);
  };
  /** Runs the build; what it reported (stderr), or throws with it when it failed. */
  const build = (...args: string[]) => {
    const run = spawnSync(process.execPath, [SCRIPT, ...args], { env: { ...process.env, GW_BUILD_ROOT: root }, encoding: 'utf8' });
    if (run.status !== 0) throw new Error(run.stderr);
    return run.stderr;
  };
  const builtAt = (file: string) => statSync(join(root, 'dist', file)).mtimeMs;
  const later = (file: string) => {
    const t = new Date(Date.now() + 5_000);
    utimesSync(join(root, file), t, t);
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'gw-build-'));
    write('tsconfig.json', JSON.stringify({ compilerOptions: { baseUrl: '.', paths: { '@gw/shared': ['libs/shared/src'] } } }));
    write('libs/shared/src/index.ts', 'export const greeting: string = "hello";\n');
    write('apps/hello/src/main.ts', 'import { greeting } from "@gw/shared";\nprocess.stdout.write(`${greeting} world`);\n');
    write('apps/hello/src/main.spec.ts', 'this is not compiled;\n');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('compiles every source on first run, specs excepted, and the output runs with aliases resolved', () => {
    build();
    expect(execFileSync(process.execPath, [join(root, 'dist/apps/hello/src/main.js')]).toString()).toBe('hello world');
    expect(() => statSync(join(root, 'dist/apps/hello/src/main.spec.js'))).toThrow();
  });

  it('writes nothing when nothing changed, and only the changed file after an edit', () => {
    build();
    const main = builtAt('apps/hello/src/main.js');
    const shared = builtAt('libs/shared/src/index.js');
    expect(build()).toBe('');
    expect([builtAt('apps/hello/src/main.js'), builtAt('libs/shared/src/index.js')]).toEqual([main, shared]);

    write('libs/shared/src/index.ts', 'export const greeting: string = "goodbye";\n');
    later('libs/shared/src/index.ts');
    expect(build()).toMatch(/compiled 1 changed file/);
    expect(builtAt('apps/hello/src/main.js')).toBe(main);
    expect(execFileSync(process.execPath, [join(root, 'dist/apps/hello/src/main.js')]).toString()).toBe('goodbye world');
  });

  it('with --missing-only (modbus-sim beside a running gateway) compiles only what is missing, never rewriting an output', () => {
    build();
    const shared = builtAt('libs/shared/src/index.js');
    write('libs/shared/src/index.ts', 'export const greeting: string = "changed";\n');
    later('libs/shared/src/index.ts');
    write('apps/hello/src/extra.ts', 'export const extra = 1;\n');
    expect(build('--missing-only')).toMatch(/compiled 1 changed file/);
    expect(builtAt('libs/shared/src/index.js')).toBe(shared);
    expect(statSync(join(root, 'dist/apps/hello/src/extra.js')).isFile()).toBe(true);
  });

  it('rebuilds everything when tsconfig.json (the aliases) changed', () => {
    build();
    later('tsconfig.json');
    expect(build()).toMatch(/compiled 2 changed file/);
  });

  it('deletes outputs whose source is gone, so a file moved into a folder of its name is not shadowed by its old output', () => {
    build();
    write('libs/shared/src/index.ts', 'export { greeting } from "./greeting";\n');
    write('libs/shared/src/greeting/index.ts', 'export const greeting: string = "moved";\n');
    write('dist/libs/shared/src/greeting.js', 'exports.greeting = "stale";\n');
    later('libs/shared/src/index.ts');
    expect(build()).toMatch(/removed 1 output/);
    expect(execFileSync(process.execPath, [join(root, 'dist/apps/hello/src/main.js')]).toString()).toBe('moved world');
  });

  it('fails with the file at fault when a source does not parse', () => {
    write('apps/hello/src/broken.ts', 'export const = ;\n');
    expect(build).toThrow(/build failed: .*broken\.ts/);
  });
});
