import { fileURLToPath } from 'node:url';

// Frames inside @frec/core itself are skipped, wherever it is installed.
const CORE_SRC = fileURLToPath(new URL('..', import.meta.url));

/** The file:line that called a definition builder, so duplicate-name errors can name both places. */
export function callSite(): string | undefined {
  const stack = new Error().stack?.split('\n') ?? [];
  for (const line of stack.slice(1)) {
    const m = /\(?((?:file:\/\/)?[^\s()]+):(\d+):\d+\)?$/.exec(line.trim());
    if (!m) continue;
    // Loaders add queries (?frec_load=3) that are not part of the path.
    const raw = m[1]!.replace(/[?#].*$/, '');
    const file = raw.startsWith('file://') ? fileURLToPath(raw) : raw;
    if (file.startsWith(CORE_SRC) || file.startsWith('node:')) continue;
    return `${file}:${m[2]}`;
  }
  return undefined;
}
