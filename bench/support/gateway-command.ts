/** The one-process gateway as `npm start` runs it, for benches that start it as its own process. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The checkout's root (benches run from dist/bench). */
export const ROOT = resolve(__dirname, '..', '..', '..');

/** `node` arguments of package.json's start script: its flags, then the built gateway. */
export function gatewayNodeArgs(): string[] {
  const start: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.start;
  const flags = /node ((?:--\S+ )*)dist\/apps\/gateway\/src\/main\.js/.exec(start);
  if (!flags) throw new Error(`cannot find the gateway's node flags in the start script: ${start}`);
  return [...flags[1].trim().split(/\s+/).filter(Boolean), join(ROOT, 'dist/apps/gateway/src/main.js')];
}
