import { Command, CommanderError } from 'commander';
import { deviceCommandCommands } from './commands/device-command';
import { deviceCommands } from './commands/device';
import { exportCommands } from './commands/export';
import { importCommands, kubeedgeExportCommand } from './commands/kubeedge';
import { profileCommands } from './commands/profile';
import { readingsCommands } from './commands/readings';
import { watcherCommands } from './commands/watcher';
import { CliContext } from './context';
import { describeFailure, ExitCode } from './failure';

export interface CliIo {
  env?: Record<string, string | undefined>;
  stderr?: (text: string) => void;
}

/** The `gw` program: every command, one line on stderr and a documented exit code for any failure. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('gw')
    .description('the gateway from the command line: devices, profiles, commands, readings, watchers, exports')
    .option('--json', 'print JSON for scripts instead of tables')
    .exitOverride();
  program.addHelpText(
    'after',
    `
Services are found at GW_METADATA_URL, GW_CORE_COMMAND_URL, GW_CORE_DATA_URL,
GW_APP_SERVICE_URL (default: the local ports of npm start); GW_API_KEY or
GW_API_KEY_FILE gives the API key. \`readings tail\` follows the console's
stream at GW_CONSOLE_URL, or the broker when GW_BUS_TYPE and GW_BUS_URL are set.
Exit codes: 0 ok, 1 a service refused (its message printed), 2 wrong usage
or file, 3 a service unreachable, 78 a GW_* variable is wrong.`,
  );
  deviceCommands(program, ctx);
  profileCommands(program, ctx);
  deviceCommandCommands(program, ctx);
  readingsCommands(program, ctx);
  watcherCommands(program, ctx);
  kubeedgeExportCommand(exportCommands(program, ctx), ctx);
  importCommands(program, ctx);
  // Subcommands inherit exitOverride only when set before they are added; set it on all of them.
  const everyCommand = (c: Command): Command[] => [c, ...c.commands.flatMap(everyCommand)];
  for (const command of everyCommand(program)) command.exitOverride().configureOutput({ outputError: usageLine });
  return program;
}

/** Commander's usage error as gw's other failures print: one line, `gw: ` first. */
function usageLine(text: string, write: (text: string) => void): void {
  const [problem, ...hints] = text.trim().replace(/^error: /, '').split(/\s*\n\s*/);
  const hint = hints.map((line) => line.replace(/^\((.*)\)$/, '$1').replace(/^Did you/, 'did you')).join('; ');
  write(`gw: ${problem} (${hint ? hint + ' ' : ''}gw --help lists the commands)\n`);
}

/** Runs `gw` with `argv` (as process.argv: node, script, args...); resolves to the exit code. */
export async function runCli(argv: string[], io: CliIo = {}): Promise<number> {
  const stderr = io.stderr ?? ((text: string) => process.stderr.write(text));
  const ctx = new CliContext(io.env ?? process.env);
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv);
    return ExitCode.Ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed the usage problem (or the help, or the version) itself.
      return err.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    const { code, message } = describeFailure(err, ctx.services());
    if (message) stderr(`gw: ${message}\n`);
    return code;
  }
}
