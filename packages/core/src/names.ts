import { distance } from 'fastest-levenshtein';

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** True when `name` is a valid object or feature name (letters, digits, underscores; not starting with a digit). */
export function isValidName(name: string): boolean {
  return NAME_RE.test(name) && name.length <= 128;
}

/** The candidates closest to `name`, best first, for "did you mean" messages. */
export function closestNames(name: string, candidates: Iterable<string>, limit = 3): string[] {
  const scored: Array<[string, number]> = [];
  const lower = name.toLowerCase();
  for (const c of candidates) {
    const d = distance(lower, c.toLowerCase());
    const contains = c.toLowerCase().includes(lower) || lower.includes(c.toLowerCase());
    scored.push([c, contains ? Math.min(d, 1) : d]);
  }
  scored.sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]));
  const cutoff = Math.max(3, Math.ceil(name.length / 2));
  return scored
    .filter(([, d]) => d <= cutoff)
    .slice(0, limit)
    .map(([c]) => c);
}

/** " Did you mean 'a' or 'b'?" or an empty string. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const close = closestNames(name, candidates);
  if (close.length === 0) return '';
  return ` Did you mean ${close.map((c) => `'${c}'`).join(' or ')}?`;
}
