import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tuneHeapForServing } from '@frec/feature-server';
import { TritonRanker } from '@frec/model-serving/ranking';
import { FEATURE_REPO, VENDORED_DATA } from '../data/load-cli.js';
import { runPipeline } from '../pipeline/run-pipeline.js';
import { loadProductionModels } from './load-models.js';
import { onlineUserFeatures, repoOnlineUserFeatures } from './online-user-features.js';
import { recommend, startRecommender } from './start-recommender.js';

/**
 * `npm run demo [-- --serve] [--host H] [--port N] [--redis redis://...] [--triton http://host:8000] [--repo feature_repo] [--no-train] [--memory-features]`: trains the models when the
 * registry has none (or loads them), starts the recommender on embedded defaults, and prints sample
 * recommendations; with --serve it keeps answering `POST /recommendations`.
 */
async function main(argv: string[]): Promise<void> {
  const flag = (f: string): boolean => argv.includes(f);
  const value = (f: string): string | undefined => (argv.includes(f) ? argv[argv.indexOf(f) + 1] : undefined);
  const repo = path.resolve(value('--repo') ?? FEATURE_REPO);
  // This process serves: keep its heap in the regime where reads have a short tail (ADR 0024).
  if (flag('--serve')) tuneHeapForServing();
  const registry = path.join(repo, 'data/models');
  let models = await loadProductionModels({ registry });
  if ((!models.twoTower || !models.ranker) && !flag('--no-train')) {
    console.log('No trained models in the registry: running the training pipeline first (npm run train).');
    await runPipeline({ repoPath: repo, inputDir: VENDORED_DATA, promote: true });
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
    log: (l) => console.log(l),
  });
  if (online) console.log(`seeded ${await online.seed(rec.snapshot)} user feature rows into ${redis}`);
  console.log(`StreamRec listening on ${rec.url} (POST /recommendations, GET /metrics)`);
  for (const userId of [1, 42, 414]) {
    const res = await recommend(rec.url, { userId, count: 5, context: { device: 'tv', timeMs: Date.UTC(2018, 8, 1, 20) } });
    console.log(`\nuser ${userId}: level ${res.degradationLevel}, ranker ${res.modelVersions.ranker}, ${res.timingsMs.total} ms`);
    for (const item of res.items)
      console.log(`  ${item.score.toFixed(3)}  ${rec.titles.get(item.itemId as number)}  [${item.sources.join(', ')}]`);
  }
  const cold = await recommend(rec, { userId: 'new-visitor', count: 5 });
  console.log(`\nnew visitor (cold start): ranker ${cold.modelVersions.ranker}`);
  for (const item of cold.items) console.log(`  ${rec.titles.get(item.itemId as number)}`);
  if (flag('--serve')) {
    console.log('\nServing; Ctrl-C to stop.');
    const stop = async () => {
      await rec.close();
      await models.ranker?.close();
      await online?.close();
      await embedded?.close();
      process.exit(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    return;
  }
  await rec.close();
  await models.ranker?.close();
  await models.shadowRanker?.close();
  await online?.close();
  await embedded?.close();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err: Error & { code?: string }) => {
    console.error(`error${err.code ? ` [${err.code}]` : ''}: ${err.message}`);
    if (process.env.FREC_DEBUG) console.error(err.stack);
    process.exitCode = 1;
  });
}
