import { itemAccepted, ItemOutcome } from '@gw/clients';
import type { Device } from '@gw/contracts';
import { ExitCode, Reported } from '../failure';
import type { Output } from '../output';

export type DeviceOutcome = { name: string } & ItemOutcome;

/** Each device with metadata's answer for it (batchOutcomes has checked there is one per device). */
export function deviceOutcomes(devices: Device[], outcomes: ItemOutcome[]): DeviceOutcome[] {
  return devices.map((d, i) => ({ ...outcomes[i], name: d.name }));
}

/** `added X` or `X: why (status)` per device; a refused one ends the command with exit 1, naming each on stderr. */
export function reportDeviceOutcomes(out: Output, results: DeviceOutcome[], added = 'added'): void {
  const why = (r: DeviceOutcome) => `${r.name}: ${r.message ?? 'refused'} (${r.statusCode || 'no status'})`;
  for (const r of results) if (!out.json) out.line(itemAccepted(r) ? `${added} ${r.name}` : why(r));
  const refused = results.filter((r) => !itemAccepted(r));
  if (refused.length) {
    process.stderr.write(out.json ? `gw: ${refused.length} of ${results.length} devices refused\n` : `gw: ${refused.map(why).join('; ')}\n`);
    throw new Reported(ExitCode.Refused);
  }
}
