import type { Command } from 'commander';
import { commandsOf, Device, parseDeviceList } from '@gw/contracts';
import { CliContext, readUserFile } from '../context';
import { UsageError } from '../failure';
import { deviceOutcomes, reportDeviceOutcomes } from './device-outcomes';
import { fields, table } from '../output';

/** `gw device list|show|add|lock|unlock|rm`: devices in core-metadata. */
export function deviceCommands(program: Command, ctx: CliContext): void {
  const device = program.command('device').description('devices known to core-metadata');

  device
    .command('list')
    .description('every device: profile, service, admin and operating state')
    .action(async (_opts, command: Command) => {
      const out = ctx.output(command);
      const devices = await ctx.metadata().allDevices();
      out.result(devices, () =>
        out.line(
          table(
            ['NAME', 'PROFILE', 'SERVICE', 'ADMIN', 'OPERATING', 'LABELS'],
            devices.map((d) => [d.name, d.profileName, d.serviceName, d.adminState, d.operatingState, d.labels?.join(',')]),
          ),
        ),
      );
    });

  device
    .command('show')
    .argument('<name>', 'device name')
    .description("one device: its settings, protocols, auto events and the commands its profile offers")
    .action(async (name: string, _opts, command: Command) => {
      const out = ctx.output(command);
      const metadata = ctx.metadata();
      const found = await metadata.device(name);
      const commands = found.profileName ? commandsOf(await metadata.profile(found.profileName)) : [];
      out.result({ device: found, commands }, () => showDevice(out.line, found, commands));
    });

  device
    .command('add')
    .requiredOption('-f, --file <file>', 'device definition file (YAML or JSON, EdgeX `deviceList:`); - for stdin')
    .description('add the devices of a device definition file')
    .action(async (opts: { file: string }, command: Command) => {
      const out = ctx.output(command);
      const file = readUserFile(opts.file);
      const devices = parseDeviceList(file.text, { source: file.name });
      if (devices.length === 0) throw new UsageError(`${file.name}: deviceList has no devices`);
      const results = deviceOutcomes(devices, await ctx.metadata().addDevices(devices));
      out.result(results, () => undefined);
      reportDeviceOutcomes(out, results);
    });

  for (const [verb, adminState] of [
    ['lock', 'LOCKED'],
    ['unlock', 'UNLOCKED'],
  ] as const) {
    device
      .command(verb)
      .argument('<name>', 'device name')
      .description(verb === 'lock' ? 'set adminState LOCKED: commands and readings stop (core-command answers 423)' : 'set adminState UNLOCKED')
      .action(async (name: string, _opts, command: Command) => {
        const out = ctx.output(command);
        await ctx.metadata().patchDevice({ name, adminState });
        out.result({ name, adminState }, () => out.line(`${name} ${verb}ed`));
      });
  }

  device
    .command('rm')
    .argument('<name>', 'device name')
    .description('delete a device')
    .action(async (name: string, _opts, command: Command) => {
      const out = ctx.output(command);
      await ctx.metadata().deleteDevice(name);
      out.result({ name, deleted: true }, () => out.line(`deleted ${name}`));
    });
}

function showDevice(line: (text: string) => void, device: Device, commands: ReturnType<typeof commandsOf>): void {
  line(
    fields([
      ['name', device.name],
      ['description', device.description],
      ['profile', device.profileName],
      ['service', device.serviceName],
      ['admin state', device.adminState],
      ['operating state', device.operatingState],
      ['labels', device.labels?.join(', ')],
    ]),
  );
  for (const [protocol, properties] of Object.entries(device.protocols ?? {})) {
    line(`\nprotocol ${protocol}`);
    line(table(['PROPERTY', 'VALUE'], Object.entries(properties).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])));
  }
  if (device.autoEvents?.length) {
    line('\nauto events');
    line(table(['SOURCE', 'INTERVAL', 'ON CHANGE'], device.autoEvents.map((a) => [a.sourceName, a.interval, a.onChange])));
  }
  if (commands.length) {
    line('\ncommands');
    line(table(['COMMAND', 'GET', 'SET', 'RESOURCES'], commands.map((c) => [c.name, c.get ? 'yes' : 'no', c.set ? 'yes' : 'no', c.resourceNames.join(', ')])));
  }
}
