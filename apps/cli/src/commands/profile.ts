import type { Command } from 'commander';
import { CliContext, readUserFile } from '../context';
import { table } from '../output';

/** `gw profile list|upload|rm`: device profiles in core-metadata. */
export function profileCommands(program: Command, ctx: CliContext): void {
  const profile = program.command('profile').description('device profiles known to core-metadata');

  profile
    .command('list')
    .description('every profile: manufacturer, model, how many resources and commands')
    .action(async (_opts, command: Command) => {
      const out = ctx.output(command);
      const profiles = await ctx.metadata().allProfiles();
      out.result(profiles, () =>
        out.line(
          table(
            ['NAME', 'MANUFACTURER', 'MODEL', 'RESOURCES', 'COMMANDS'],
            profiles.map((p) => [p.name, p.manufacturer, p.model, p.deviceResources.length, p.deviceCommands.length]),
          ),
        ),
      );
    });

  profile
    .command('upload')
    .argument('<file>', 'profile file (YAML or JSON, as EdgeX writes them); - for stdin')
    .description("upload a profile file: core-metadata checks it and names each problem's line")
    .action(async (path: string, _opts, command: Command) => {
      const out = ctx.output(command);
      const file = readUserFile(path);
      const answer = await ctx.metadata().uploadProfile(file);
      out.result(answer, () => {
        out.line(`uploaded ${file.name}${answer.id ? ` (id ${answer.id})` : ''}`);
        // Metadata's warnings (keys it ignored, likely typos) come in the message of a 201.
        if (answer.message) out.line(answer.message);
      });
    });

  profile
    .command('rm')
    .argument('<name>', 'profile name')
    .description('delete a profile (refused while devices use it)')
    .action(async (name: string, _opts, command: Command) => {
      const out = ctx.output(command);
      await ctx.metadata().deleteProfile(name);
      out.result({ name, deleted: true }, () => out.line(`deleted ${name}`));
    });
}
