import type { Command } from 'commander';
import { parseProvisionWatcher } from '@gw/contracts';
import { CliContext, readUserFile } from '../context';
import { table } from '../output';

/** `gw watcher list|add|rm`: provision watchers (devices added when discovery finds a match). */
export function watcherCommands(program: Command, ctx: CliContext): void {
  const watcher = program.command('watcher').description('provision watchers known to core-metadata');

  watcher
    .command('list')
    .description('every provision watcher: service, the profile of the devices it adds, what it matches')
    .action(async (_opts, command: Command) => {
      const out = ctx.output(command);
      const watchers = await ctx.metadata().allWatchers();
      out.result(watchers, () =>
        out.line(
          table(
            ['NAME', 'SERVICE', 'PROFILE', 'ADMIN', 'IDENTIFIERS'],
            watchers.map((w) => [
              w.name,
              w.serviceName,
              w.discoveredDevice?.profileName,
              w.adminState,
              Object.entries(w.identifiers ?? {}).map(([k, v]) => `${k}=${v}`).join(' '),
            ]),
          ),
        ),
      );
    });

  watcher
    .command('add')
    .requiredOption('-f, --file <file>', 'provision watcher file (YAML or JSON); - for stdin')
    .description('add a provision watcher from a file')
    .action(async (opts: { file: string }, command: Command) => {
      const out = ctx.output(command);
      const file = readUserFile(opts.file);
      const parsed = parseProvisionWatcher(file.text, { source: file.name });
      const id = await ctx.metadata().addWatcher(parsed);
      out.result({ name: parsed.name, id }, () => out.line(`added ${parsed.name}`));
    });

  watcher
    .command('rm')
    .argument('<name>', 'provision watcher name')
    .description('delete a provision watcher')
    .action(async (name: string, _opts, command: Command) => {
      const out = ctx.output(command);
      await ctx.metadata().deleteWatcher(name);
      out.result({ name, deleted: true }, () => out.line(`deleted ${name}`));
    });
}
