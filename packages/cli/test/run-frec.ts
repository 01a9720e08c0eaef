import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The real `frec` binary that `npm ci` links, as a newcomer would run it. */
export const FREC_BIN = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../node_modules/.bin/frec');

/** What one `frec` process printed and how it exited. */
export interface FrecRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `frec ...args` in `cwd` and resolves with its exit code and output (never rejects on a non-zero exit). */
export function frec(args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<FrecRun> {
  return new Promise((resolve, reject) => {
    execFile(
      FREC_BIN,
      args,
      { cwd: options.cwd, env: { ...process.env, FORCE_COLOR: '0', ...options.env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') reject(err);
        else resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
      },
    );
  });
}
