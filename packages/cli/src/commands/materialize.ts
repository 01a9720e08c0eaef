import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { ErrorCode, RequestError, type MaterializeOptions, type MaterializeProgress, type MaterializeResult } from '@frec/core';
import { emit, table, type GlobalOptions, globalsOf } from '../output.js';
import { withStore } from '../context.js';

/** Parses a CLI time: ISO 8601, epoch milliseconds, or 'now'. */
export function parseCliTime(text: string, what: string): Date {
  const d = text === 'now' ? new Date() : /^\d+$/.test(text) ? new Date(Number(text)) : new Date(text);
  if (Number.isNaN(d.getTime())) {
    throw new RequestError(ErrorCode.INVALID_REQUEST, `${what} '${text}' is not a time.`, {
      where: { argument: what },
      hint: "Use ISO 8601 ('2024-01-01T00:00:00Z'), epoch milliseconds, or 'now'.",
    });
  }
  return d;
}

/** Parses a positive integer option, or fails naming the option. */
export function positiveInt(text: string, option: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) {
    throw new RequestError(ErrorCode.INVALID_REQUEST, `${option} must be a positive integer, got '${text}'.`, { where: { option } });
  }
  return n;
}

function splitList(v: string | undefined): string[] | undefined {
  const parts = v
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return parts && parts.length > 0 ? parts : undefined;
}

/** Progress on a terminal: one bar per view with rows, rows/s and ETA. */
function barReporter(): { onProgress: (p: MaterializeProgress) => void; stop: () => void } {
  const multi = new cliProgress.MultiBar(
    {
      format: ' {view} |{bar}| {value}/{total} rows | {rate} rows/s | ETA {eta_formatted}',
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, cliProgress.SingleBar>();
  return {
    onProgress: (p) => {
      let bar = bars.get(p.view);
      if (!bar) bars.set(p.view, (bar = multi.create(p.totalRows ?? 0, 0, { view: p.view.padEnd(20), rate: '0' })));
      if (p.day) {
        // An aggregation view tiles its events day by day before it writes its entities.
        bar.setTotal(p.day.total);
        bar.update(p.day.done, { rate: `tiled ${p.day.date}` });
        return;
      }
      if (p.totalRows === null) bar.setTotal(Math.max(p.rows, 1));
      bar.update(p.rows, { rate: Math.round(p.rowsPerSecond).toLocaleString('en-US') });
    },
    stop: () => multi.stop(),
  };
}

/** Progress elsewhere: a plain line per view at most every `everyMs`, and at start and end, on stderr. */
function lineReporter(everyMs: number): { onProgress: (p: MaterializeProgress) => void; stop: () => void } {
  const last = new Map<string, number>();
  return {
    onProgress: (p) => {
      const now = Date.now();
      if (p.day) {
        process.stderr.write(`materialize view=${p.view} phase=day day=${p.day.date} days=${p.day.done}/${p.day.total}\n`);
        return;
      }
      if (p.phase === 'batch' && now - (last.get(p.view) ?? 0) < everyMs) return;
      last.set(p.view, now);
      const eta = p.etaSeconds === null ? '' : ` eta=${p.etaSeconds.toFixed(0)}s`;
      const total = p.totalRows === null ? '' : `/${p.totalRows}`;
      process.stderr.write(
        `materialize view=${p.view} phase=${p.phase} rows=${p.rows}${total} rows_per_s=${Math.round(p.rowsPerSecond)}${eta}\n`,
      );
    },
    stop: () => undefined,
  };
}

type MaterializeCliOptions = { views?: string; parallelism?: string; batchSize?: string; progressEvery?: string; force?: boolean };

async function runMaterialize(
  g: GlobalOptions,
  opts: MaterializeCliOptions,
  run: (o: MaterializeOptions) => Promise<MaterializeResult>,
): Promise<void> {
  const reporter = process.stderr.isTTY && !g.json ? barReporter() : lineReporter(Number(opts.progressEvery ?? 2) * 1000);
  let res: MaterializeResult;
  try {
    res = await run({
      views: splitList(opts.views),
      ...(opts.force ? { force: true } : {}),
      onProgress: reporter.onProgress,
      ...(opts.parallelism ? { parallelism: positiveInt(opts.parallelism, '--parallelism') } : {}),
      ...(opts.batchSize ? { batchSize: positiveInt(opts.batchSize, '--batch-size') } : {}),
    });
  } finally {
    reporter.stop();
  }
  emit(g, res, () =>
    res.views.length === 0
      ? 'Nothing to materialize: every view is up to date.'
      : `${table([
          ['VIEW', 'START', 'END', 'ROWS', 'SKIPPED OLDER', 'SECONDS', 'ROWS/S'],
          ...res.views.map((v) => [
            v.view,
            v.start,
            v.end,
            String(v.rows),
            String(v.skippedOlder),
            v.seconds.toFixed(1),
            String(Math.round(v.rowsPerSecond)),
          ]),
        ])}\nMaterialized ${res.rows} rows in ${res.seconds.toFixed(1)}s.${res.views
          .filter((v) => v.skipReason)
          .map((v) => `\nSkipped ${v.view}: ${v.skipReason}.`)
          .join('')}`,
  );
}

/** Registers `frec materialize START END` and `frec materialize-incremental END`. */
export function registerMaterializeCommands(program: Command): void {
  program
    .command('materialize')
    .description('load the latest offline values with event time in [START, END) into the online store')
    .argument('<start>', "start time (ISO 8601, epoch ms or 'now')")
    .argument('<end>', "end time (ISO 8601, epoch ms or 'now')")
    .option('--views <names>', 'comma-separated views (default: every online view)')
    .option('--parallelism <n>', 'views materialized at once (default 2)')
    .option('--batch-size <n>', 'rows per pulled batch (default 2000)')
    .option('--force', 'rewrite a window already materialized from unchanged source files')
    .option('--progress-every <s>', 'seconds between plain progress lines when not on a terminal (default 2)')
    .action(async (start: string, end: string, opts: MaterializeCliOptions, cmd: Command) => {
      const g = globalsOf(cmd);
      const s = parseCliTime(start, 'START');
      const e = parseCliTime(end, 'END');
      await withStore(g, (store) => runMaterialize(g, opts, (o) => store.materialize(s, e, o)));
    });

  program
    .command('materialize-incremental')
    .description('materialize each view from its watermark (the end of its last run) up to END')
    .argument('<end>', "end time (ISO 8601, epoch ms or 'now')")
    .option('--views <names>', 'comma-separated views (default: every online view)')
    .option('--parallelism <n>', 'views materialized at once (default 2)')
    .option('--batch-size <n>', 'rows per pulled batch (default 2000)')
    .option('--progress-every <s>', 'seconds between plain progress lines when not on a terminal (default 2)')
    .action(async (end: string, opts: MaterializeCliOptions, cmd: Command) => {
      const g = globalsOf(cmd);
      const e = parseCliTime(end, 'END');
      await withStore(g, (store) => runMaterialize(g, opts, (o) => store.materializeIncremental(e, o)));
    });
}
