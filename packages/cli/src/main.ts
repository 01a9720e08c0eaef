import { Command, CommanderError } from 'commander';
import { ErrorCode, FrecError } from '@frec/core';
import { reportError, type GlobalOptions } from './output.js';
import { registerRepoCommands } from './commands/repo.js';
import { registerListCommands } from './commands/list.js';
import { registerInit } from './commands/init.js';

/** Verbs that need only @frec/core; for these the serving, streaming and model verbs are not loaded. */
const CORE_VERBS = new Set(['init', 'plan', 'apply', 'teardown', 'registry-dump', 'entities', 'feature-views', 'feature-services']);

/** The verb of a command line (`frec -c repo plan` -> 'plan'), or undefined for `frec --help`. */
function verbOf(argv: readonly string[]): string | undefined {
  const args = argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-c' || a === '--chdir') i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

/**
 * Builds the `frec` program. Each verb lives in ./commands. Given the verb about to run, it
 * skips loading the other packages' verbs (fastify, DuckDB, the AWS SDK...) when the verb does not need them.
 */
export async function buildProgram(options: { verb?: string; json?: boolean } = {}): Promise<Command> {
  const program = new Command('frec');
  // With --json, usage errors (unknown verb, bad option) become JSON on stderr, not commander's text;
  // set before the verbs are added, so they inherit it.
  if (options.json) program.configureOutput({ writeErr: () => undefined, outputError: () => undefined });
  program
    .description('frec: a feature store for TypeScript. Declare features once; serve them online and offline.')
    .option('-c, --chdir <path>', 'feature repo folder (default: current directory)')
    .option('--json', 'print machine-readable JSON')
    .showHelpAfterError()
    .exitOverride();
  registerInit(program);
  registerRepoCommands(program);
  registerListCommands(program);
  if (options.verb === undefined || !CORE_VERBS.has(options.verb)) {
    const { registerExtraCommands } = await import('./commands/extra.js');
    registerExtraCommands(program);
  }
  return program;
}

/** Runs the CLI and returns the process exit code (0 ok, 1 user error, 2 internal error). */
export async function main(argv: string[]): Promise<number> {
  const json = argv.slice(2).includes('--json');
  const program = await buildProgram({ verb: verbOf(argv), json });
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      if (json)
        reportError(
          new FrecError(ErrorCode.INVALID_USAGE, err.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' '), {
            hint: 'Run `frec --help` or `frec <verb> --help`.',
          }),
          true,
        );
      return err.exitCode || 1;
    }
    return reportError(err, Boolean((program.opts() as GlobalOptions).json));
  }
}
