const UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** A duration: seconds as a number, or a string such as '90s', '15m', '1h', '7d', '1d12h'. */
export type Duration = number | string;

/** Parses a duration into seconds; returns NaN when it cannot be parsed. */
export function parseDuration(d: Duration): number {
  if (typeof d === 'number') return d;
  const s = d.trim();
  if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s);
  const re = /(-?\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    matched = re.lastIndex;
  }
  return matched === s.length && matched > 0 ? total : Number.NaN;
}

/** Formats seconds as a compact duration ('1d', '3h', '90s'). */
export function formatDuration(seconds: number): string {
  if (seconds === 0) return '0s';
  for (const [unit, size] of [
    ['w', 604800],
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}
