import type { Command } from 'commander';
import type { Reading } from '@gw/contracts';
import { CliContext } from '../context';
import { UsageError } from '../failure';
import { originTime, table } from '../output';

/** `gw read` and `gw set`: a device's commands through core-command. */
export function deviceCommandCommands(program: Command, ctx: CliContext): void {
  program
    .command('read')
    .argument('<device>', 'device name')
    .argument('<command>', 'command or resource name (gw device show lists them)')
    .description("read a command now: the device's answer, one row per reading")
    .action(async (device: string, name: string, _opts, command: Command) => {
      const out = ctx.output(command);
      const event = await ctx.commands().get(device, name);
      out.result(event, () =>
        out.line(
          table(
            ['RESOURCE', 'VALUE', 'TYPE', 'UNITS', 'ORIGIN'],
            event.readings.map((r) => [r.resourceName, valueOf(r), r.valueType, r.units, originTime(r.origin)]),
          ),
        ),
      );
    });

  program
    .command('set')
    .argument('<device>', 'device name')
    .argument('<command>', 'command or resource name')
    .argument('<values...>', 'resource=value pairs, e.g. Fan=true')
    .description("write values to a command (the device's answer or refusal is printed)")
    .action(async (device: string, name: string, pairs: string[], _opts, command: Command) => {
      const out = ctx.output(command);
      const values = parsePairs(pairs);
      await ctx.commands().set(device, name, values);
      out.result({ device, command: name, values }, () => out.line(`set ${device} ${name}: ${Object.entries(values).map(([k, v]) => `${k}=${v}`).join(' ')}`));
    });
}

/** `Fan=true Speed=3` → { Fan: 'true', Speed: '3' }; the value may contain `=`. */
export function parsePairs(pairs: string[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`"${pair}" is not resource=value (e.g. Fan=true)`);
    values[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return values;
}

export function valueOf(reading: Reading): string {
  if ('value' in reading) return reading.value;
  if ('binaryValue' in reading) return `<${reading.mediaType ?? 'binary'}>`;
  return JSON.stringify((reading as { objectValue: unknown }).objectValue);
}
