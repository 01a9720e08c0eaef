/** One sample of the Prometheus text exposition: metric name (with _bucket/_sum/_count suffix), labels, value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of one exposition, and each family's declared type (counter, gauge, histogram...). */
export interface Exposition {
  samples: Sample[];
  types: Map<string, string>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

function parseValue(s: string): number {
  if (s === '+Inf') return Number.POSITIVE_INFINITY;
  if (s === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(s);
}

/** Reads `{a="x",b="y\"z"}` from `line` at `i`; returns the labels and the index after '}'. */
function parseLabels(line: string, i: number): { labels: Record<string, string>; end: number } | null {
  const labels: Record<string, string> = {};
  i++;
  for (;;) {
    while (line[i] === ' ' || line[i] === ',') i++;
    if (line[i] === '}') return { labels, end: i + 1 };
    const m = NAME.exec(line.slice(i));
    if (!m) return null;
    const key = m[0];
    i += key.length;
    if (line[i] !== '=' || line[i + 1] !== '"') return null;
    i += 2;
    let value = '';
    for (; i < line.length && line[i] !== '"'; i++) {
      if (line[i] === '\\') {
        const next = line[++i];
        value += next === 'n' ? '\n' : (next ?? '');
      } else value += line[i];
    }
    if (line[i] !== '"') return null;
    labels[key] = value;
    i++;
  }
}

/**
 * Parses the Prometheus text exposition format (version 0.0.4, what prom-client and every
 * exporter write). Malformed lines are skipped rather than failing the page: a scrape is advisory.
 */
export function parsePrometheusText(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const t = /^#\s*TYPE\s+(\S+)\s+(\S+)/.exec(line);
      if (t) types.set(t[1]!, t[2]!);
      continue;
    }
    const m = NAME.exec(line);
    if (!m) continue;
    let i = m[0].length;
    let labels: Record<string, string> = {};
    if (line[i] === '{') {
      const parsed = parseLabels(line, i);
      if (!parsed) continue;
      labels = parsed.labels;
      i = parsed.end;
    }
    const value = parseValue(line.slice(i).trim().split(/\s+/)[0] ?? '');
    if (Number.isNaN(value) && !/NaN/.test(line.slice(i))) continue;
    samples.push({ name: m[0], labels, value });
  }
  return { samples, types };
}
