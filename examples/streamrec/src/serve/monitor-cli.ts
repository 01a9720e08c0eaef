import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LatencyBudgetReport } from '@frec/model-serving/resilience';
import { DEFAULT_IMPRESSION_LOG_DIR, engagementReport, readImpressions, type EngagementReport } from '@frec/monitoring';
import { formatLatencyReport } from '../recommender/latency-budget.js';
import { DEFAULT_DATA_DIR, readMovieLens } from './movielens-snapshot.js';
import { FEATURE_REPO } from './streamrec-recommender.js';

const USAGE = `usage: npm run -w examples/streamrec monitor -- <command> [options]

  latency --url http://host:8080 [--json]
      the latency budget report of a running recommender (GET /latency-budget): p50, p95, p99
      per stage, serial sum, critical path with the parallel stages overlapped
  engagement --from YYYY-MM-DD --to YYYY-MM-DD [--impressions <dir>] [--data <movielens dir>]
             [--window-hours 168] [--target 0.95] [--json]
      CTR proxy, hit rate and weekly catalog coverage from the impression log and the ratings after it
`;

/** The latency budget report of the recommender at `url`. */
export async function fetchLatencyReport(url: string): Promise<LatencyBudgetReport> {
  const res = await fetch(`${url.replace(/\/+$/, '')}/latency-budget`);
  if (!res.ok) throw new Error(`GET ${url}/latency-budget answered ${res.status}`);
  return (await res.json()) as LatencyBudgetReport;
}

/** Engagement of the logged impressions against the MovieLens ratings that followed them. */
export async function streamRecEngagement(options: {
  impressionsDir: string;
  from: string;
  to: string;
  dataDir?: string;
  windowHours?: number;
  target?: number;
}): Promise<EngagementReport> {
  const snap = readMovieLens(options.dataDir ?? DEFAULT_DATA_DIR);
  const interactions = [...snap.histories].flatMap(([userId, h]) =>
    h.items.map((itemId, i) => ({ userId: String(userId), itemId: String(itemId), at: h.timesMs[i]! })),
  );
  return engagementReport({
    impressions: await readImpressions(options.impressionsDir, options.from, options.to),
    interactions,
    catalogSize: snap.movies.length,
    attributionWindowMs: (options.windowHours ?? 168) * 3_600_000,
    coverageTarget: options.target ?? 0.95,
  });
}

/** The engagement report as plain text. */
export function formatEngagement(r: EngagementReport): string {
  const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
  const lines = [
    `impressions ${r.overall.impressions} in ${r.overall.lists} lists; CTR proxy ${pct(r.overall.ctrProxy)}, hit rate ${pct(r.overall.hitRate)} (interaction within ${r.attributionWindowHours} h)`,
    ...Object.entries(r.byModel).map(
      ([m, f]) => `  ${m}: ${f.impressions} impressions, CTR proxy ${pct(f.ctrProxy)}, hit rate ${pct(f.hitRate)}`,
    ),
    `catalog coverage per week (target ${pct(r.coverageTarget)} of ${r.catalogSize} items):`,
    ...r.weeks.map((w) => `  week of ${w.week}: ${w.itemsShown} items, ${pct(w.coverage)}${w.meetsTarget ? '' : ' (below target)'}`),
  ];
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const value = (f: string): string | undefined => (argv.includes(f) ? argv[argv.indexOf(f) + 1] : undefined);
  const json = argv.includes('--json');
  const out = (v: unknown, text: () => string): void => void process.stdout.write(`${json ? JSON.stringify(v, null, 2) : text()}\n`);
  const [cmd] = argv;
  if (!cmd || cmd === '--help' || argv.includes('--help')) {
    process.stdout.write(USAGE);
    return cmd ? 0 : 1;
  }
  if (cmd === 'latency') {
    const url = value('--url');
    if (!url) throw new Error('latency needs --url http://host:port of a running recommender');
    const r = await fetchLatencyReport(url);
    out(r, () => formatLatencyReport(r));
    return 0;
  }
  if (cmd === 'engagement') {
    const from = value('--from');
    const to = value('--to') ?? from;
    if (!from || !/^\d{4}-\d{2}-\d{2}$/.test(from) || !to || !/^\d{4}-\d{2}-\d{2}$/.test(to))
      throw new Error('engagement needs --from YYYY-MM-DD (and --to YYYY-MM-DD)');
    const r = await streamRecEngagement({
      impressionsDir: path.resolve(value('--impressions') ?? path.join(FEATURE_REPO, DEFAULT_IMPRESSION_LOG_DIR)),
      from,
      to,
      ...(value('--data') ? { dataDir: path.resolve(value('--data')!) } : {}),
      ...(value('--window-hours') ? { windowHours: Number(value('--window-hours')) } : {}),
      ...(value('--target') ? { target: Number(value('--target')) } : {}),
    });
    out(r, () => formatEngagement(r));
    return 0;
  }
  process.stderr.write(`unknown command '${cmd}'\n${USAGE}`);
  return 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err: Error) => {
      process.stderr.write(`error: ${err.message}\n`);
      process.exitCode = 1;
    },
  );
}
