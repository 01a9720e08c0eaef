import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tuneHeapForServing } from '@frec/feature-server';
import { TritonRanker } from '@frec/model-serving/ranking';
import { FEATURE_REPO, VENDORED_DATA } from '../data/load-cli.js';
import { runPipeline, type PipelineOptions } from '../pipeline/run-pipeline.js';
import { loadProductionModels } from './load-models.js';
import { onlineUserFeatures, repoOnlineUserFeatures } from './online-user-features.js';
import { recommend, startRecommender } from './start-recommender.js';

/**
 * What the demo's first run trains: only what serving needs. One protocol (global_time, whose
 * models are the served ones) and one short fit of a single two-tower, served as tuned (no refit
 * on the holdout, no second ensemble member); the ranker on a smaller training set, the tuned
 * query and blend, and that protocol's metrics. `npm run -w examples/streamrec train` runs the full two-protocol evaluation
 * and registers models that replace these.
 */
export const DEMO_TRAINING: Pick<PipelineOptions, 'protocols' | 'steps'> = {
  protocols: ['global_time'],
  steps: {
    // On the quiet 2-core reference run the tower ensemble (4 fits of 5 epochs) and the second
    // protocol were 80% of the 290 s; one 2-epoch fit keeps the first run's critical path near a
    // minute (docs/benchmarks.md, StreamRec demo first run).
    trainRetrieval: { members: 1, refit: false, tower: { epochs: 2 } },
    // The classical baselines (EASE, ItemKNN, PureSVD, each tuned) are evaluation, not serving: 100 s loaded.
    baselines: { classical: false },
    // Each positive is now a request with its whole served pool (listwise): 4,000 of them took 40 s
    // and 3.4 GiB on a quiet machine; 1,000 requests still hold hundreds of thousands of rows.
    rankerSet: { positives: 1000 },
    // Served as tuned (no refit): the tuned tower trains before the first validation window, so
    // one window keeps the served tower's data as recent as before the pooled windows.
    split: { validationWindows: 1 },
  },
};

/** What one demo run printed and served: the first recommendations, for callers and tests. */
export interface DemoRun {
  trained: boolean;
  /** Seconds from the start of the run to the first recommendation received. */
  secondsToFirst: number;
  recommendations: Array<{
    userId: number | string;
    ranker: string | undefined;
    items: Array<{ itemId: number | string; score: number; title: string }>;
  }>;
}

/**
 * `npm run demo [-- --serve] [--host H] [--port N] [--redis redis://...] [--triton http://host:8000] [--repo feature_repo] [--no-train] [--memory-features] [--max-users N]`:
 * trains what serving needs when the registry has no models (DEMO_TRAINING; or loads them),
 * starts the recommender on embedded defaults, and prints sample recommendations; with --serve it
 * keeps answering `POST /recommendations`. --max-users N trains on N users only (seeded).
 */
export async function runDemo(argv: string[], log: (line: string) => void = (l) => console.log(l)): Promise<DemoRun> {
  const t0 = performance.now();
  const flag = (f: string): boolean => argv.includes(f);
  const value = (f: string): string | undefined => (argv.includes(f) ? argv[argv.indexOf(f) + 1] : undefined);
  const repo = path.resolve(value('--repo') ?? FEATURE_REPO);
  // This process serves: keep its heap in the regime where reads have a short tail (ADR 0024).
  if (flag('--serve')) tuneHeapForServing();
  const registry = path.join(repo, 'data/models');
  let models = await loadProductionModels({ registry });
  const trained = (!models.twoTower || !models.ranker) && !flag('--no-train');
  // Users shown: three the full data set knows, or, on a subset, three of the subset's.
  let sampleUsers = [1, 42, 414];
  if (trained) {
    log(
      'No trained models in the registry: training what serving needs (one two-tower fit, the ranker, global_time metrics); ' +
        'the full two-protocol evaluation is `npm run -w examples/streamrec train`.',
    );
    const maxUsers = value('--max-users');
    const res = await runPipeline({
      repoPath: repo,
      inputDir: VENDORED_DATA,
      promote: true,
      ...DEMO_TRAINING,
      ...(maxUsers ? { maxUsers: Number(maxUsers) } : {}),
    });
    if (maxUsers) sampleUsers = res.data.userIds.slice(0, 3);
    models = await loadProductionModels({ registry });
  }
  const redis = value('--redis');
  const online = redis
    ? await onlineUserFeatures({
        type: 'redis',
        connection_string: redis,
        key_prefix: `streamrec-demo:`,
        connect_timeout_ms: 500,
        command_timeout_ms: 200,
      } as never)
    : undefined;
  // Embedded defaults: user features come from the feature repo's SQLite online store through getOnlineFeatures.
  const embedded = online || flag('--memory-features') ? undefined : await repoOnlineUserFeatures(repo, (l) => console.log(l));
  const triton = value('--triton');
  const rec = await startRecommender({
    models,
    // --triton http://127.0.0.1:8000 ranks on a Triton server loaded with the exported repository (docs/triton.md).
    ...(triton
      ? {
          ranker: new TritonRanker({
            url: triton,
            model: value('--triton-model') ?? 'streamrec_ranker',
            outputName: 'probability',
            timeoutMs: 200,
          }),
        }
      : {}),
    repoPath: repo,
    indexDir: path.join(repo, 'data/ann'),
    // --host 0.0.0.0 in a container, where the Service reaches the pod on its own address.
    ...(value('--host') ? { host: value('--host') } : {}),
    port: Number(value('--port') ?? (flag('--serve') ? 8080 : 0)),
    ...(online ? { features: online.source } : embedded ? { features: embedded.source } : {}),
    log,
  });
  if (online) log(`seeded ${await online.seed(rec.snapshot)} user feature rows into ${redis}`);
  log(`StreamRec listening on ${rec.url} (POST /recommendations, GET /metrics)`);
  const run: DemoRun = { trained, secondsToFirst: 0, recommendations: [] };
  const title = (id: number | string) => rec.titles.get(id as number) ?? String(id);
  for (const userId of sampleUsers) {
    const res = await recommend(rec.url, { userId, count: 5, context: { device: 'tv', timeMs: Date.UTC(2018, 8, 1, 20) } });
    if (run.recommendations.length === 0) {
      run.secondsToFirst = (performance.now() - t0) / 1000;
      log(`first recommendation ${run.secondsToFirst.toFixed(1)} s after start${trained ? ' (models trained in this run)' : ''}`);
    }
    run.recommendations.push({
      userId,
      ranker: res.modelVersions.ranker,
      items: res.items.map((i) => ({ itemId: i.itemId, score: i.score, title: title(i.itemId) })),
    });
    log(`\nuser ${userId}: level ${res.degradationLevel}, ranker ${res.modelVersions.ranker}, ${res.timingsMs.total} ms`);
    for (const item of res.items) log(`  ${item.score.toFixed(3)}  ${title(item.itemId)}  [${item.sources.join(', ')}]`);
  }
  const cold = await recommend(rec, { userId: 'new-visitor', count: 5 });
  run.recommendations.push({
    userId: 'new-visitor',
    ranker: cold.modelVersions.ranker,
    items: cold.items.map((i) => ({ itemId: i.itemId, score: i.score, title: title(i.itemId) })),
  });
  log(`\nnew visitor (cold start): ranker ${cold.modelVersions.ranker}`);
  for (const item of cold.items) log(`  ${title(item.itemId)}`);
  if (flag('--serve')) {
    log('\nServing; Ctrl-C to stop.');
    const stop = async () => {
      await rec.close();
      await models.ranker?.close();
      await online?.close();
      await embedded?.close();
      process.exit(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    return run;
  }
  await rec.close();
  await models.ranker?.close();
  await models.shadowRanker?.close();
  await online?.close();
  await embedded?.close();
  return run;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runDemo(process.argv.slice(2)).catch((err: Error & { code?: string }) => {
    console.error(`error${err.code ? ` [${err.code}]` : ''}: ${err.message}`);
    if (process.env.FREC_DEBUG) console.error(err.stack);
    process.exitCode = 1;
  });
}
