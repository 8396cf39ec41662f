/**
 * A service as its own process, as docker compose runs it (the built output:
 * `npm test` builds first). A wrong setting must stop it with one line naming
 * the variable and exit code 78; SIGTERM must stop it cleanly with 0.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const mainOf = (app: string) => join(__dirname, `../../dist/apps/${app}/src/main.js`);

function run(env: Record<string, string>, app = 'metadata') {
  return spawn(process.execPath, [mainOf(app)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

function exitOf(child: ReturnType<typeof run>): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('a service as its own process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-standalone-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a wrong setting with a message naming the variable and exit code 78', async () => {
    const child = run({ GW_METADATA_PORT: 'abc', GW_MAX_BODY: 'lots' });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    expect(await exitOf(child)).toBe(78);
    expect(stderr).toMatch(/GW_METADATA_PORT: expected an integer 0-65535, got "abc"/);
    expect(stderr).toMatch(/GW_MAX_BODY/);
    expect(stderr).not.toMatch(/at loadConfig/); // one clear line, no stack trace
  });

  it.each([
    ['metadata', 'METADATA'],
    ['core-data', 'CORE_DATA'],
  ])('%s stops cleanly on SIGTERM once it is serving', async (app, prefix) => {
    const child = run({ [`GW_${prefix}_PORT`]: '0', GW_HOST: '127.0.0.1', [`GW_${prefix}_DATABASE`]: `sqlite:${join(dir, `${app}.db`)}` }, app);
    const exited = exitOf(child);
    const lines = createInterface({ input: child.stdout });
    const url = await new Promise<string>((resolve) =>
      lines.on('line', (line) => {
        const entry = JSON.parse(line);
        if (entry.msg === 'listening') resolve(entry.url);
      }),
    );
    expect((await fetch(url + '/api/v3/ping')).status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
