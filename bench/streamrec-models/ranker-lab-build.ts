/**
 * The ranker lab's cache (issue 21): runs the pipeline's steps up to the served retriever once per
 * protocol, then writes to disk, for every request, the whole candidate pool the offline sources
 * retrieve with its ranker features (as scoreTwoStage reads them) and retrieval scores:
 *   train: a seeded sample of held-out events (the ranker's examples; the pool's positive is the event's item),
 *   val:   every held-out user's first held-out event (what the blend is tuned on, cross-fitted by user fold),
 *   test:  the split's test users, with the served (refit) retriever, as the evaluate step ranks them.
 * ranker-lab.ts then trains and scores ranker variants from the cache in seconds.
 *
 *   nice -n 5 npx tsx bench/streamrec-models/ranker-lab-build.ts [--train-requests 2000] [--out examples/streamrec/.state/ranker-lab] [--input <movielens folder>]
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { FeatureStore } from '@frec/core';
import type { Interactions } from '../../examples/streamrec/src/data/interactions.js';
import type { ItemExclusion } from '../../examples/streamrec/src/eval/catalog-at.js';
import { ensembleDim, ensembleUserForward, type TowerEnsemble } from '../../examples/streamrec/src/models/index.js';
import { mulberry32 } from '../../examples/streamrec/src/nn/rng.js';
import { resolvePipelineConfig } from '../../examples/streamrec/src/pipeline/config.js';
import { StepContext } from '../../examples/streamrec/src/pipeline/step.js';
import { StepTimer } from '../../examples/streamrec/src/pipeline/step-timer.js';
import { featuresStep } from '../../examples/streamrec/src/pipeline/steps/features.js';
import { loadStep } from '../../examples/streamrec/src/pipeline/steps/load.js';
import { rankerSetStep, type RankerSet } from '../../examples/streamrec/src/pipeline/steps/ranker-set.js';
import { refitStep } from '../../examples/streamrec/src/pipeline/steps/refit.js';
import { heldOutRequests, splitStep, type SplitData } from '../../examples/streamrec/src/pipeline/steps/split.js';
import { trainRetrievalStep } from '../../examples/streamrec/src/pipeline/steps/train-retrieval.js';
import { tuneQueryStep } from '../../examples/streamrec/src/pipeline/steps/tune-query.js';
import {
  requestScores,
  retrievalScore,
  scoreBuffers,
  type CoOccurrenceTerm,
} from '../../examples/streamrec/src/pipeline/two-stage/retrieval-score.js';
import type { OfflineCandidates } from '../../examples/streamrec/src/pipeline/two-stage/candidates.js';
import type { HistoryQueryParams } from '../../examples/streamrec/src/retrieval/index.js';
import {
  D_USER,
  rankerTrainingSet,
  userInputsAt,
  type RankerExample,
} from '../../examples/streamrec/src/training-sets/build-training-sets.js';
import { LOOKUP_OFFSET_MS } from '../../examples/streamrec/src/training-sets/historical-rows.js';
import { TowerTrainingPool } from '../../examples/streamrec/src/tower-pool/index.js';
import { PROTOCOLS } from '../../examples/streamrec/src/pipeline/config.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({
  options: {
    'train-requests': { type: 'string', default: '2000' },
    out: { type: 'string', default: path.join(root, 'examples/streamrec/.state/ranker-lab') },
    input: { type: 'string', default: path.join(root, 'examples/streamrec/data/ml-latest-small') },
    seed: { type: 'string', default: '42' },
  },
});
const seed = Number(values.seed);

/** One request of the cache: who, when, what its pool holds, and the items relevant to it. */
interface Req {
  user: number;
  atMs: number;
  exclude: ItemExclusion;
  vector: Float32Array;
  recent: Int32Array;
  relevant: number[];
}

/** The retriever that scores a set's requests. */
interface Retriever {
  tower: TowerEnsemble;
  itemEmbeddings: Float32Array;
  history: HistoryQueryParams;
  itemBias: Float32Array | undefined;
  coOccurrence: CoOccurrenceTerm;
}

async function writeSet(
  dir: string,
  name: string,
  store: FeatureStore,
  data: Interactions,
  s: SplitData,
  set: RankerSet,
  sources: OfflineCandidates,
  r: Retriever,
  reqs: readonly Req[],
  keepOnlyIfRetrieved: boolean,
): Promise<void> {
  const dim = ensembleDim(r.tower);
  const buf = scoreBuffers(data.itemIds.length);
  const query = new Float32Array(dim);
  const examples: RankerExample[] = [];
  const meta: Array<{ user: number; atMs: number; start: number; end: number; relevant: number[] }> = [];
  const { historyQuery } = await import('../../examples/streamrec/src/retrieval/index.js');
  for (const q of reqs) {
    const emb = ensembleUserForward(r.tower, Int32Array.of(q.user), q.vector);
    historyQuery(emb, 0, dim, r.itemEmbeddings, q.recent, r.history.weight, query, r.history.decay);
    requestScores(r.itemEmbeddings, dim, query, r.itemBias, q.recent, r.coOccurrence, buf);
    const items = sources.candidates(buf.tower, q.atMs, q.exclude, buf.cooc);
    const rel = new Set(q.relevant);
    if (keepOnlyIfRetrieved && (items.length < 2 || !items.some((it) => rel.has(it)))) continue;
    const start = examples.length;
    for (const it of items)
      examples.push({
        user: q.user,
        item: it,
        atMs: q.atMs,
        label: rel.has(it) ? 1 : 0,
        retrievalScore: retrievalScore(buf, r.coOccurrence, it),
        coOccurrence: buf.cooc[it]!,
      });
    meta.push({ user: q.user, atMs: q.atMs, start, end: examples.length, relevant: q.relevant });
  }
  const x = await rankerTrainingSet(store, data, examples, s.catalog.genresOf, set.timeline);
  writeFileSync(path.join(dir, `${name}.x.f32`), Buffer.from(x.x.buffer, x.x.byteOffset, x.x.byteLength));
  const items = Int32Array.from(examples, (e) => e.item);
  writeFileSync(path.join(dir, `${name}.items.i32`), Buffer.from(items.buffer));
  writeFileSync(path.join(dir, `${name}.json`), JSON.stringify({ n: x.n, d: x.d, featureNames: x.featureNames, requests: meta }));
  console.error(`  ${name}: ${meta.length} requests, ${x.n} rows`);
}

const repo = mkdtempSync(path.join(tmpdir(), 'frec-ranker-lab-'));
for (const f of ['feature_store.yaml', 'features.ts'])
  copyFileSync(path.join(root, 'examples/streamrec/feature_repo', f), path.join(repo, f));
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const config = resolvePipelineConfig({ repoPath: repo, inputDir: values.input!, seed, register: false });
const timer = new StepTimer(false);
const run = new StepContext(seed, timer);
await loadStep.run(undefined, config, run);
const { store, data } = await featuresStep.run(undefined, config, run);
const pool = new TowerTrainingPool(config.trainThreads);
try {
  const queued = [];
  for (const protocol of PROTOCOLS) {
    const ctx = run.forProtocol(protocol);
    const split = await splitStep.run({ store, data, protocol }, config.steps.split, ctx);
    const retrieval = await trainRetrievalStep.run({ split, pool, ids: data }, config.steps.trainRetrieval, ctx);
    queued.push({ ctx, split, retrieval });
  }
  for (const { ctx, split: s, retrieval } of queued) {
    const dir = path.join(values.out!, ctx.protocol!);
    mkdirSync(dir, { recursive: true });
    const query = await tuneQueryStep.run({ data, split: s, retrieval }, config.steps.tuneQuery, ctx);
    const set = await rankerSetStep.run({ store, data, split: s, query }, config.steps.rankerSet, ctx);
    // The pipeline's own ranker set (8 sampled negatives per positive), for the reference variant.
    const d = set.data;
    writeFileSync(path.join(dir, 'sampled.x.f32'), Buffer.from(d.x.buffer, d.x.byteOffset, d.x.byteLength));
    writeFileSync(path.join(dir, 'sampled.y.f32'), Buffer.from(d.y.buffer, d.y.byteOffset, d.y.byteLength));
    writeFileSync(path.join(dir, 'sampled.group.i32'), Buffer.from(d.group.buffer, d.group.byteOffset, d.group.byteLength));
    writeFileSync(path.join(dir, 'sampled.user.i32'), Buffer.from(set.rowUser.buffer, set.rowUser.byteOffset, set.rowUser.byteLength));
    writeFileSync(path.join(dir, 'sampled.json'), JSON.stringify({ n: d.n, d: d.d }));
    const tuned: Retriever = { ...query, coOccurrence: query.coOccurrence };
    // Train: a seeded sample of held-out events, the whole pool each; the event's item is the positive.
    const { split } = s;
    const everSeen = new Map<number, Set<number>>();
    for (const e of split.train) {
      const u = data.user[e]!;
      let x = everSeen.get(u);
      if (!x) everSeen.set(u, (x = new Set()));
      x.add(data.item[e]!);
    }
    const rand = mulberry32(seed ^ 0x1ab);
    const picks = Array.from(s.holdout);
    for (let i = picks.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [picks[i], picks[j]] = [picks[j]!, picks[i]!];
    }
    const trainReqs = picks.slice(0, Number(values['train-requests'])).map((j): Req => {
      const e = split.train[j]!;
      const u = data.user[e]!;
      const pos = data.item[e]!;
      const exclude = new Set(everSeen.get(u)!);
      exclude.delete(pos);
      return {
        user: u,
        atMs: data.timeMs[e]! - LOOKUP_OFFSET_MS,
        exclude,
        vector: s.towerSet.userFeatures.slice(j * D_USER, (j + 1) * D_USER),
        recent: s.towerSet.recentItems[j]!,
        relevant: [pos],
      };
    });
    await writeSet(dir, 'train', store, data, s, set, set.sources, tuned, trainReqs, true);
    const val = heldOutRequests(set.blendUsers, s.towerSet, data, split).map((q): Req => ({
      ...q,
      relevant: [...set.blendUsers.relevant.get(q.user)!],
    }));
    await writeSet(dir, 'val', store, data, s, set, set.sources, tuned, val, false);
    const served = await refitStep.run({ data, split: s, retrieval, query }, {}, ctx);
    const users = [...split.test.keys()];
    const inputs = await userInputsAt(
      store,
      data,
      users.map((u) => ({ user: u, atMs: split.evalTimeMs.get(u)! })),
      s.catalog.genresOf,
    );
    const empty = new Set<number>();
    const test = users.map((u, i): Req => ({
      user: u,
      atMs: split.evalTimeMs.get(u)!,
      exclude: s.seen.get(u) ?? empty,
      vector: inputs.vectors.slice(i * D_USER, (i + 1) * D_USER),
      recent: inputs.recent[i]!,
      relevant: [...split.test.get(u)!],
    }));
    await writeSet(dir, 'test', store, data, s, set, set.sources, { ...served, history: query.history }, test, false);
  }
} finally {
  await pool.close();
  await store.close();
  rmSync(repo, { recursive: true, force: true });
}
const cpu = process.cpuUsage(cpu0);
console.error(
  `built in ${((performance.now() - t0) / 1000).toFixed(1)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU (main process)`,
);
