/**
 * The network key when GW_ZIGBEE_NETWORK_KEY is unset: generated on first
 * start (16 random bytes) and kept in <dataDir>/network-key, mode 0600, so
 * the network the coordinator formed survives restarts. The key is never
 * logged or returned by a route; only whether it was generated is.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorKind, GatewayError } from '@gw/contracts';
import { parseNetworkKey } from './descriptor';

export const NETWORK_KEY_FILE = 'network-key';

export function networkKeyOf(configured: number[] | undefined, dataDir: string): { key: number[]; source: 'setting' | 'file' | 'generated' } {
  if (configured) return { key: configured, source: 'setting' };
  const file = join(dataDir, NETWORK_KEY_FILE);
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new GatewayError(ErrorKind.Config, `${file} cannot be read (${(err as NodeJS.ErrnoException).code})`, { cause: err });
  }
  if (text !== undefined) {
    const key = parseNetworkKey(text.trim());
    // Never echo the file: it is the key.
    if (!key) throw new GatewayError(ErrorKind.Config, `${file} does not hold a network key (32 hex digits); fix or delete it (deleting it means re-pairing every device)`);
    return { key, source: 'file' };
  }
  mkdirSync(dataDir, { recursive: true });
  const key = [...randomBytes(16)];
  writeFileSync(file, `${Buffer.from(key).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return { key, source: 'generated' };
}
