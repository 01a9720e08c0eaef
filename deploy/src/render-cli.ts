import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MANIFEST_DIR, renderFiles } from './render.js';
import { productionValues, type DeployValues } from './values.js';

const USAGE = `Usage: npm run -w deploy render -- [--out DIR] [--values FILE.json] [--check]

Renders the Kubernetes manifests (each validated against its schema) into DIR
(default deploy/manifests). --values merges a JSON file over the production values,
one level deep (e.g. {"image": "registry/frec:1.2.0", "featureServer": {"maxReplicas": 10}}).
--check writes nothing and exits 1 when DIR differs from a fresh render.`;

/** Production values with a JSON object merged over them, one level deep. */
export function mergeValues(over: Record<string, unknown>): DeployValues {
  const merged = Object.entries(productionValues).map(([k, base]) => {
    const o = over[k];
    if (o === undefined) return [k, base];
    return [k, typeof base === 'object' && base !== null && !Array.isArray(base) ? { ...base, ...(o as object) } : o];
  });
  return Object.fromEntries(merged) as DeployValues;
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const value = (flag: string): string | undefined => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
  const out = path.resolve(value('--out') ?? MANIFEST_DIR);
  const valuesFile = value('--values');
  const values = valuesFile ? mergeValues(JSON.parse(readFileSync(valuesFile, 'utf8')) as Record<string, unknown>) : productionValues;
  const files = await renderFiles(values);
  if (argv.includes('--check')) {
    const stale = [...files].filter(([f, text]) => !existsSync(path.join(out, f)) || readFileSync(path.join(out, f), 'utf8') !== text);
    const extra = existsSync(out) ? readdirSync(out).filter((f) => f.endsWith('.yaml') && !files.has(f)) : [];
    if (stale.length + extra.length > 0) {
      process.stderr.write(
        `${out} differs from a fresh render: ${[...stale.map(([f]) => f), ...extra].join(', ')}. Run \`npm run -w deploy render\`.\n`,
      );
      return 1;
    }
    process.stdout.write(`${files.size} manifest files match a fresh render.\n`);
    return 0;
  }
  mkdirSync(out, { recursive: true });
  for (const [f, text] of files) writeFileSync(path.join(out, f), text);
  process.stdout.write(`Wrote ${files.size} files to ${path.relative(process.cwd(), out) || '.'}.\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: Error) => {
    process.stderr.write(`error: ${err.message}\n`);
    process.exitCode = 1;
  },
);
