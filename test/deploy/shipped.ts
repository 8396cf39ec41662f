/**
 * The shipped deployment's pieces, without a test runner (bench/services.ts
 * runs them compiled too): the checkout, bin/init-secrets.js, and
 * deploy/mosquitto/mosquitto.conf adapted to run on this machine.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The checkout: two folders up, or three when this runs compiled from dist/test/deploy (bench/services.ts uses it). */
export const ROOT = [join(__dirname, '../..'), join(__dirname, '../../..')].find((dir) => existsSync(join(dir, 'bin/init-secrets.js')))!;
export const INIT_SECRETS = join(ROOT, 'bin/init-secrets.js');

/** Runs bin/init-secrets.js (as compose's secrets-init does) into `dir`; returns its stdout. */
export function initSecrets(dir: string, args: string[] = [], env: Record<string, string> = {}): string {
  return execFileSync(process.execPath, [INIT_SECRETS, '--dir', dir, ...args], {
    env: { PATH: process.env.PATH, ...brokerOwners(), ...env },
    encoding: 'utf8',
  });
}

/**
 * As root the script gives Mosquitto's files to the uid compose's image runs
 * it as; a mosquitto started here as root runs as this machine's `mosquitto`
 * user instead, which must be able to read them.
 */
function brokerOwners(): Record<string, string> {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => execFileSync('id', [flag, 'mosquitto'], { encoding: 'utf8' }).trim();
  return { GW_SECRETS_MOSQUITTO_OWNER: `${id('-u')}:${id('-g')}` };
}

/** Replaces what `pattern` matches, failing when it matches nothing (the shipped file changed under the test). */
function rewrite(text: string, pattern: RegExp, replacement: string): string {
  if (!pattern.test(text)) throw new Error(`deploy/mosquitto/mosquitto.conf no longer has ${pattern}`);
  return text.replace(pattern, replacement);
}

/** This machine's copy of Mosquitto's dynamic security plugin (the image has it in /usr/lib). */
function dynamicSecurityPlugin(): string {
  const name = 'mosquitto_dynamic_security.so';
  const candidates = [
    `/usr/lib/${name}`,
    ...readdirSync('/usr/lib').filter((d) => d.endsWith('-linux-gnu')).map((d) => `/usr/lib/${d}/${name}`),
  ];
  const found = candidates.find((path) => existsSync(path));
  if (!found) throw new Error(`Mosquitto's dynamic security plugin (${name}) is not installed: install mosquitto 2.0 or later`);
  return found;
}

/**
 * deploy/mosquitto/mosquitto.conf as shipped, but for its listener (`port` on
 * 127.0.0.1), its paths (persistence in `dir`, the users and roles in
 * `secretsDir`, this machine's plugin) and its log (stderr; `connections`
 * adds the information lines: the "running" line a test waits for, each
 * client's connect). bench/services.ts runs its broker with it too.
 */
export function shippedMosquittoConfig(port: number, dir: string, secretsDir: string, connections = true): string {
  const shipped = readFileSync(join(ROOT, 'deploy/mosquitto/mosquitto.conf'), 'utf8');
  let text = rewrite(shipped, /^listener 1883$/m, `listener ${port} 127.0.0.1`);
  text = rewrite(text, /^persistence_location .*$/m, `persistence_location ${dir}/`);
  text = rewrite(text, /\/run\/secrets\/gateway/g, secretsDir);
  text = rewrite(text, /^plugin \/usr\/lib\/mosquitto_dynamic_security\.so$/m, `plugin ${dynamicSecurityPlugin()}`);
  text = rewrite(text, /^log_dest stdout$/m, 'log_dest stderr');
  return connections ? `${text}log_type information\n` : text;
}
