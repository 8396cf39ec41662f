import type { Command } from 'commander';
import type { AddEventRequest, Event } from '@gw/contracts';
import { redactUrl, Topics, withTimeout } from '@gw/contracts';
import { toBusConfig } from '@gw/service-kit/config';
import { CliContext } from '../context';
import { UnreachableError, UsageError } from '../failure';
import { originTime } from '../output';
import { valueOf } from './device-command';

interface TailOptions {
  device?: string;
  count?: string;
}

/**
 * `gw readings tail`: readings as the devices publish them, live from the
 * message bus (MQTT or Redis, GW_BUS_* as the services read them). Nothing is
 * polled: each event is printed when the broker delivers it.
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
      if (!(limit >= 1) || !Number.isInteger(limit === Infinity ? 1 : limit)) throw new UsageError(`--count: expected a whole number above 0, got "${opts.count}"`);
      const config = ctx.config;
      if (config.busType === 'memory') {
        throw new UsageError(
          'gw readings tail listens on the message bus: set GW_BUS_TYPE=mqtt or redis and GW_BUS_URL (with GW_BUS_USERNAME/GW_BUS_PASSWORD when the broker needs them); ' +
            "the one-process gateway's in-process bus is not reachable from another process",
        );
      }
      let shown = 0;
      let finish: () => void = () => undefined;
      const finished = new Promise<void>((resolve) => (finish = resolve));
      const show = (event: Event) => {
        if (opts.device !== undefined && event.deviceName !== opts.device) return;
        if (out.json) out.line(JSON.stringify(event));
        for (const reading of event.readings) {
          if (shown >= limit) break;
          if (!out.json) out.line([originTime(reading.origin) ?? '-', event.deviceName, reading.resourceName, valueOf(reading), reading.units ?? ''].join('  ').trimEnd());
          shown++;
        }
        if (shown >= limit) finish();
      };

      const { createMessageBus } = await import('@gw/messaging');
      const bus = createMessageBus(toBusConfig(config, `gw-cli-${process.pid}`));
      const where = redactUrl(config.busUrl ?? `the local ${config.busType} broker`);
      try {
        await withTimeout(bus.connect(), config.requestTimeout, `connect to ${where}`);
      } catch (err) {
        await bus.close().catch(() => undefined);
        throw new UnreachableError(`cannot reach the ${config.busType} broker at ${where} (${(err as Error).message}): GW_BUS_URL sets the address`);
      }
      const stop = () => finish();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        await bus.subscribe(new Topics(config.topicBase).allEvents(), (envelope) => {
          const event = (envelope.payload as Partial<AddEventRequest> | undefined)?.event;
          if (event?.readings) show(event);
        });
        await finished;
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        await bus.close();
      }
    });
}
