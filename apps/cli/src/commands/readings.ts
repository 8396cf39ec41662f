import type { Command } from 'commander';
import type { Event } from '@gw/contracts';
import { CliContext } from '../context';
import { UsageError } from '../failure';
import { onStdoutGone } from '../stdout';
import { originTime } from '../output';
import { valueOf } from './device-command';
import { eventFeed } from './live-stream';

interface TailOptions {
  device?: string;
  count?: string;
}

/**
 * `gw readings tail`: readings as the devices publish them, live: from the
 * broker when GW_BUS_TYPE is mqtt or redis, else from the web console's event
 * stream. Nothing is polled: each event is printed when it is delivered.
 */
export function readingsCommands(program: Command, ctx: CliContext): void {
  const readings = program.command('readings').description('readings published by the device services');

  readings
    .command('tail')
    .option('-d, --device <name>', 'only this device')
    .option('-n, --count <n>', 'stop after this many readings')
    .description('print readings live as devices publish them (Ctrl-C stops); --json: one event per line')
    .action(async (opts: TailOptions, command: Command) => {
      const out = ctx.output(command);
      const limit = opts.count === undefined ? Infinity : Number(opts.count);
      if (limit !== Infinity && !(Number.isInteger(limit) && limit >= 1)) throw new UsageError(`--count: expected a whole number above 0, got "${opts.count}"`);
      let shown = 0;
      let finish: () => void = () => undefined;
      const stop = new Promise<void>((resolve) => (finish = resolve));
      const show = (event: Event) => {
        if (shown >= limit || (opts.device !== undefined && event.deviceName !== opts.device)) return;
        // --count counts readings: the last event printed keeps only the readings still wanted.
        const readings = event.readings.slice(0, limit - shown);
        shown += readings.length;
        if (out.json) out.line(JSON.stringify(readings.length === event.readings.length ? event : { ...event, readings }));
        else for (const reading of readings) out.line([originTime(reading.origin) ?? '-', event.deviceName, reading.resourceName, valueOf(reading), reading.units ?? ''].join('  ').trimEnd());
        if (shown >= limit) finish();
      };
      process.once('SIGINT', finish);
      process.once('SIGTERM', finish);
      const unwatch = onStdoutGone(finish);
      try {
        await eventFeed(ctx.config, opts.device)(show, stop);
      } finally {
        unwatch();
        process.off('SIGINT', finish);
        process.off('SIGTERM', finish);
      }
    });
}
