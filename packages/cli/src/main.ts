import { Command, CommanderError } from 'commander';
import { reportError, type GlobalOptions } from './output.js';
import { registerRepoCommands } from './commands/repo.js';
import { registerListCommands } from './commands/list.js';
import { registerInit } from './commands/init.js';
import { registerExtraCommands } from './commands/extra.js';

/** Builds the `frec` program. Each verb lives in ./commands. */
export function buildProgram(): Command {
  const program = new Command('frec')
    .description('frec: a feature store for TypeScript. Declare features once; serve them online and offline.')
    .option('-c, --chdir <path>', 'feature repo folder (default: current directory)')
    .option('--json', 'print machine-readable JSON')
    .showHelpAfterError()
    .exitOverride();
  registerInit(program);
  registerRepoCommands(program);
  registerListCommands(program);
  registerExtraCommands(program);
  return program;
}

/** Runs the CLI and returns the process exit code (0 ok, 1 user error, 2 internal error). */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? 0 : err.exitCode || 1;
    }
    return reportError(err, Boolean((program.opts() as GlobalOptions).json));
  }
}

/** The global options merged with a command's own. */
export function globalsOf(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}
