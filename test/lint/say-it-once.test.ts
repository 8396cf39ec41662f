/**
 * Helpers the design says once, kept once: a second private copy is how they
 * drift (the Redis bus had its own withTimeout, with its own timer handling).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)));
}

/** A declaration of `name`: a function, a method or a const/let bound to one. */
const declaring = (name: string) =>
  new RegExp(`\\b(function\\s+${name}\\b|(private|protected|public|static|async)\\s+${name}\\s*[<(]|(const|let|var)\\s+${name}\\s*=)`);

describe('said once', () => {
  it.each([['withTimeout', 'libs/contracts/src/time/with-timeout.ts']])('%s is declared in %s only', (name, home) => {
    const pattern = declaring(name);
    const found = [...sources('libs'), ...sources('apps')].filter((file) => pattern.test(readFileSync(join(ROOT, file), 'utf8')));
    expect(found).toEqual([home]);
  });
});
