import type { Command } from 'commander';
import { FrecError } from '@frec/core';
import { toFrecError } from '@frec/core/spi';

/** Options every command shares. */
export interface GlobalOptions {
  chdir?: string;
  json?: boolean;
}

/** The global options (`--chdir`, `--json`) as seen from a subcommand. */
export function globalsOf(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

/** Writes a command's result: JSON for scripts (`--json`), else the human text. */
export function emit(opts: GlobalOptions, json: unknown, human: () => string): void {
  if (opts.json) process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  else {
    const text = human();
    if (text) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }
}

/** Prints an error the way the user asked (JSON on stderr with --json) and returns the exit code. */
export function reportError(err: unknown, json: boolean): number {
  const e = toFrecError(err);
  if (json) process.stderr.write(`${JSON.stringify({ error: e.toJSON() })}\n`);
  else {
    process.stderr.write(`error [${e.code}]: ${e.message}\n`);
    const cause = (err as { cause?: unknown }).cause;
    if (process.env.FREC_DEBUG && cause instanceof Error && cause.stack) process.stderr.write(`${cause.stack}\n`);
  }
  return e instanceof FrecError && e.code !== 'INTERNAL' ? 1 : 2;
}

/** Pads columns for a plain-text table. */
export function table(rows: string[][]): string {
  if (rows.length === 0) return '';
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
