import { existsSync } from 'node:fs';
import path from 'node:path';
import { OnnxRanker, type RankBatch, type Ranker } from '@frec/model-serving/ranking';
import { openModelRegistry, type ModelManifest, type ModelRegistry } from '@frec/model-registry';
import { exportRankerOnnx } from '../export/index.js';
import { asEnsemble, deserializeParams, rankerPredict, type TowerEnsemble } from '../models/index.js';
import { parseRankerManifestParams, parseTwoTowerManifestParams, type TwoTowerManifestParams } from '../models/manifest-params.js';
import { BlendedRanker } from './blended-ranker.js';
import type { DcnParams, TwoTowerParams } from '../models/types.js';
import type { HistoryQueryParams } from '../retrieval/index.js';

/** The production models serving uses, as found in the model registry. */
export interface LoadedModels {
  twoTower?: {
    /** A single registered two-tower is loaded as a one-member ensemble. */
    params: TowerEnsemble;
    version: string;
    /** Catalog embeddings computed at training time (numItems x ensembleDim), when registered. */
    itemEmbeddings?: Float32Array;
    /** Raw ids by dense index, as the model was trained. */
    userIds?: number[];
    itemIds?: number[];
    /** How recent items enter the retrieval query (historyQuery), as registered. */
    history: HistoryQueryParams;
    /** Added to each item's retrieval score (the popularity prior, ADR 0077), when registered. */
    itemBias?: Float32Array;
    /** Weight of the co-occurrence term of the retrieval score and how its table is built (ADR 0078), when registered. */
    coOccurrence?: { weight: number; window: number; neighbours: number };
  };
  ranker?: Ranker;
  /** Candidate ranker for shadow mode (the newest candidate-stage version), if any. */
  shadowRanker?: Ranker;
  /** Why a model is missing, for the startup log. */
  notes: string[];
  /** The manifests of what was loaded (training-data range for the model-age gauge). */
  manifests?: { twoTower?: ModelManifest; ranker?: ModelManifest; shadowRanker?: ModelManifest };
}

/** DCN-V2 scored in process from its trained parameters: used when no ONNX export exists. */
export class ParamsRanker implements Ranker {
  readonly kind = 'dcn-params';
  constructor(
    private readonly params: DcnParams,
    readonly version: string,
  ) {}
  async score(batch: RankBatch): Promise<Float32Array> {
    const x = batch.inputs.x!;
    return rankerPredict(this.params, x.data, batch.size);
  }
  async close(): Promise<void> {}
}

async function artifactText(reg: ModelRegistry, m: ModelManifest, suffix: string): Promise<string | undefined> {
  const a = m.artifacts.find((x) => x.path.endsWith(suffix));
  return a ? Buffer.from(await reg.readArtifact(m, a.path)).toString('utf8') : undefined;
}

async function describe(
  reg: ModelRegistry,
  name: string,
  stage: 'production' | 'candidate' | 'latest',
): Promise<ModelManifest | undefined> {
  try {
    return await reg.describe(name, stage);
  } catch {
    return undefined;
  }
}

/** The last good production version (an earlier one when production's artifacts fail their checksums), or the latest one when none was promoted (noted). */
async function servingVersion(reg: ModelRegistry, name: string, notes: string[]): Promise<ModelManifest | undefined> {
  const good = await reg.lastGood(name);
  for (const s of good?.skipped ?? []) notes.push(`${name} v${s.version} skipped: ${s.reason}`);
  if (good) return good.manifest;
  // Promoted once but nothing verifies any more: serve without it (a lower level) rather than not at all.
  const prod = await describe(reg, name, 'production');
  if (prod || (await reg.history(name).catch(() => [])).some((h) => h.stage === 'production')) {
    const why = prod
      ? await reg.verify(prod).then(
          () => 'unreadable',
          (e: Error) => e.message,
        )
      : 'none left';
    notes.push(`no production version of '${name}' passes its checksums (v${prod?.version ?? '-'}: ${why}): serving without it`);
    return undefined;
  }
  const latest = await describe(reg, name, 'latest');
  if (latest) notes.push(`no production '${name}': serving the latest version ${latest.version} (promote it with frec models promote)`);
  return latest;
}

/** The registered co-occurrence term of the retrieval score, when the model has one. */
function coOccurrenceOf(p: TwoTowerManifestParams): { coOccurrence?: { weight: number; window: number; neighbours: number } } {
  const { coOccurrenceWeight: weight, coOccurrenceWindow: window, coOccurrenceNeighbours: neighbours } = p;
  // The schema has the three together or none.
  return weight === undefined || window === undefined || neighbours === undefined ? {} : { coOccurrence: { weight, window, neighbours } };
}

/** The ranker as evaluated: blended with the two-tower score when training tuned a blend weight below 1. */
export async function loadRanker(reg: ModelRegistry, m: ModelManifest): Promise<Ranker | undefined> {
  const { blendWeight } = parseRankerManifestParams(m);
  const inner = await loadRankerModel(reg, m);
  return inner && blendWeight < 1 ? new BlendedRanker(inner, blendWeight) : inner;
}

async function loadRankerModel(reg: ModelRegistry, m: ModelManifest): Promise<Ranker | undefined> {
  const version = `${m.name}@${m.version}`;
  const onnx = m.artifacts.find((a) => a.path.endsWith('.onnx'));
  if (onnx) return OnnxRanker.load({ model: await reg.readArtifact(m, onnx.path), version });
  const json = await artifactText(reg, m, 'params.json');
  if (!json) return undefined;
  const params = deserializeParams<DcnParams>(json);
  if (params.kind !== 'dcn-v2') return undefined;
  // No exported graph registered: export it now from the trained parameters (the same exporter the
  // pipeline uses), so ranking still runs in onnxruntime; plain JS is the last resort.
  try {
    return await OnnxRanker.load({ model: exportRankerOnnx(params), version });
  } catch {
    return new ParamsRanker(params, version);
  }
}

/**
 * Loads the production two-tower and ranker from the model registry of a feature repo
 * (`<repo>/data/models` by default), verifying artifact checksums and parsing each model's params
 * with its schema (models/manifest-params.ts: a mismatch throws ModelParamsError); returns what it found.
 */
export async function loadProductionModels(options: {
  registry: string;
  twoTowerName?: string;
  rankerName?: string;
  /** Load these versions instead of the last good production ones (the replay experiment serves older days' models). */
  versions?: { twoTower?: number; ranker?: number };
}): Promise<LoadedModels> {
  const notes: string[] = [];
  if (!options.registry.startsWith('s3://') && !existsSync(path.resolve(options.registry))) {
    return { notes: [`no model registry at ${options.registry}: run the training pipeline (npm run -w examples/streamrec train)`] };
  }
  const reg = openModelRegistry(options.registry);
  const out: LoadedModels = { notes, manifests: {} };
  const pinned = (name: string, v: number | undefined) => (v === undefined ? servingVersion(reg, name, notes) : reg.describe(name, v));
  const tt = await pinned(options.twoTowerName ?? 'two_tower', options.versions?.twoTower);
  if (tt) {
    await reg.verify(tt);
    const ttParams = parseTwoTowerManifestParams(tt);
    const json = await artifactText(reg, tt, 'params.json');
    const params = json ? deserializeParams<TwoTowerParams | TowerEnsemble>(json) : undefined;
    if (params?.kind === 'two-tower' || params?.kind === 'two-tower-ensemble') {
      const emb = tt.artifacts.find((a) => a.path === 'item_embeddings.f32');
      const bytes = emb ? await reg.readArtifact(tt, emb.path) : undefined;
      const ids = await artifactText(reg, tt, 'ids.json');
      const bias = tt.artifacts.find((a) => a.path === 'item_bias.f32');
      const biasBytes = bias ? await reg.readArtifact(tt, bias.path) : undefined;
      const parsed = ids ? (JSON.parse(ids) as { userIds?: number[]; itemIds?: number[] }) : {};
      let itemBias = biasBytes ? new Float32Array(new Uint8Array(biasBytes).buffer) : undefined;
      // One bias per item, as registered; any other length cannot be aligned with the index.
      if (itemBias && parsed.itemIds && itemBias.length !== parsed.itemIds.length) {
        notes.push(
          `two-tower ${tt.name}@${tt.version}: item_bias.f32 has ${itemBias.length} values for ${parsed.itemIds.length} items; ` +
            'retrieving without the popularity prior (re-register the model)',
        );
        itemBias = undefined;
      }
      out.manifests!.twoTower = tt;
      out.twoTower = {
        params: asEnsemble(params),
        version: `${tt.name}@${tt.version}`,
        itemEmbeddings: bytes ? new Float32Array(new Uint8Array(bytes).buffer) : undefined,
        userIds: parsed.userIds,
        itemIds: parsed.itemIds,
        history: { weight: ttParams.recentWeight, decay: ttParams.recentDecay },
        ...(itemBias ? { itemBias } : {}),
        ...coOccurrenceOf(ttParams),
      };
    } else notes.push(`two-tower ${tt.name}@${tt.version} has no params artifact`);
  } else if (!notes.some((n) => n.startsWith(`no production version of '${options.twoTowerName ?? 'two_tower'}'`)))
    notes.push(`no '${options.twoTowerName ?? 'two_tower'}' model in ${options.registry}`);
  const rk = await pinned(options.rankerName ?? 'ranker', options.versions?.ranker);
  if (rk) {
    await reg.verify(rk);
    out.ranker = await loadRanker(reg, rk);
    out.manifests!.ranker = rk;
    if (!out.ranker) notes.push(`ranker ${rk.name}@${rk.version} has no .onnx or params artifact`);
    const cand = options.versions ? undefined : await describe(reg, options.rankerName ?? 'ranker', 'candidate');
    // A corrupt candidate never stops serving: production serves, the candidate is left out.
    if (cand && cand.version !== rk.version)
      out.shadowRanker = await loadRanker(reg, cand).then(
        (r) => ((out.manifests!.shadowRanker = cand), r),
        (err: Error) => (notes.push(`candidate ${cand.name} v${cand.version} not shadowed: ${err.message}`), undefined),
      );
  } else if (!notes.some((n) => n.startsWith(`no production version of '${options.rankerName ?? 'ranker'}'`)))
    notes.push(`no '${options.rankerName ?? 'ranker'}' model in ${options.registry}`);
  return out;
}
