import { FrecError } from '@frec/core';
import { ModelRegistryErrorCode } from '@frec/model-registry';
import { z } from 'zod';
import type { CoOccurrenceOptions, HistoryQueryParams } from '../retrieval/index.js';
import { ensembleDim, type TowerEnsemble } from './tower-ensemble.js';
import type { DcnParams } from './types.js';

// The model registry keeps a model's params as an open record; StreamRec's two models write and
// read theirs through these schemas, so the pipeline and serving cannot drift apart.

const weight = z.number().finite().nonnegative();
const whole = z.number().int().positive();

/** What the two-tower's manifest params hold: its shape, and the tuned terms serving adds to the retrieval score. */
export const twoTowerManifestParamsSchema = z
  .object({
    /** Towers in the ensemble (ADR 0075), each `embeddingDim` wide, `epochs` trained; `outputDim` is their concatenation. */
    members: whole,
    embeddingDim: whole,
    outputDim: whole,
    epochs: whole,
    /** How recent items enter the query (historyQuery). */
    recentWeight: weight,
    recentDecay: weight,
    /** Weight of the popularity prior (ADR 0077); item_bias.f32 holds it at that weight. */
    popularityWeight: weight,
    /** Share of the most recent training events the prior counts; absent: all of them. */
    popularityShare: z.number().finite().positive().max(1).optional(),
    /** The co-occurrence term (ADR 0078): its weight, and how serving builds its table; absent: no term. */
    coOccurrenceWeight: weight.optional(),
    coOccurrenceWindow: whole.optional(),
    coOccurrenceNeighbours: whole.optional(),
  })
  .strict()
  .refine((p) => [p.coOccurrenceWeight, p.coOccurrenceWindow, p.coOccurrenceNeighbours].filter((v) => v === undefined).length % 3 === 0, {
    message: 'coOccurrenceWeight, coOccurrenceWindow and coOccurrenceNeighbours come together or not at all',
  });

/** The two-tower's manifest params. */
export type TwoTowerManifestParams = z.infer<typeof twoTowerManifestParamsSchema>;

/** What the ranker's manifest params hold: its shape, loss and its weight in the blend with the retrieval score. */
export const rankerManifestParamsSchema = z
  .object({
    crossLayers: z.number().int().nonnegative(),
    hidden: z.array(whole),
    /** Input width (RANKER_FEATURE_NAMES). */
    d: whole,
    /** Weight of the ranker against the z-scored retrieval score (ADR 0078); 1: the ranker alone. */
    blendWeight: z.number().min(0).max(1),
    loss: z.enum(['listwise', 'pointwise']),
    /** Half-lives (ms) of the request signals' decayed item popularity (REQUEST_SIGNAL_NAMES), set from the training events. */
    signalHalfLivesMs: z.array(z.number().positive()).length(3).optional(),
  })
  .strict();

/** The ranker's manifest params. */
export type RankerManifestParams = z.infer<typeof rankerManifestParamsSchema>;

/** A registered StreamRec model whose params do not match its schema. */
export class ModelParamsError extends FrecError {
  constructor(message: string, where: Record<string, string>) {
    super(ModelRegistryErrorCode.MODEL_REGISTRY_ERROR, message, {
      where,
      hint:
        'Re-register the model with `npm run -w examples/streamrec train` ' +
        '(its params schema is examples/streamrec/src/models/manifest-params.ts).',
    });
    this.name = 'ModelParamsError';
  }
}

/** A manifest as far as its params go. */
interface ManifestLike {
  name: string;
  version: number | string;
  params?: Record<string, unknown>;
}

function parseWith<T>(schema: z.ZodType<T>, what: string, m: ManifestLike): T {
  const parsed = schema.safeParse(m.params ?? {});
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'params'}: ${i.message}`).join('; ');
  throw new ModelParamsError(`${m.name}@${m.version}: its params are not StreamRec ${what} params (${issues}).`, {
    model: m.name,
    version: String(m.version),
  });
}

/** The two-tower params of a manifest; throws ModelParamsError naming each mismatch. */
export function parseTwoTowerManifestParams(m: ManifestLike): TwoTowerManifestParams {
  return parseWith(twoTowerManifestParamsSchema, 'two-tower', m);
}

/** The ranker params of a manifest; throws ModelParamsError naming each mismatch. */
export function parseRankerManifestParams(m: ManifestLike): RankerManifestParams {
  return parseWith(rankerManifestParamsSchema, 'ranker', m);
}

/** The params a trained two-tower ensemble is registered with, checked against the schema. */
export function twoTowerManifestParams(
  tower: TowerEnsemble,
  terms: {
    history: HistoryQueryParams;
    popularityWeight: number;
    popularityShare?: number;
    coOccurrence?: { weight: number } & Required<CoOccurrenceOptions>;
  },
): TwoTowerManifestParams {
  const first = tower.members[0]!.config;
  const cooc = terms.coOccurrence;
  return twoTowerManifestParamsSchema.parse({
    members: tower.members.length,
    embeddingDim: first.embeddingDim,
    outputDim: ensembleDim(tower),
    epochs: first.epochs,
    recentWeight: terms.history.weight,
    recentDecay: terms.history.decay,
    popularityWeight: terms.popularityWeight,
    ...(terms.popularityShare !== undefined && terms.popularityShare !== 1 ? { popularityShare: terms.popularityShare } : {}),
    ...(cooc ? { coOccurrenceWeight: cooc.weight, coOccurrenceWindow: cooc.window, coOccurrenceNeighbours: cooc.neighbours } : {}),
  });
}

/** The params a trained ranker is registered with, checked against the schema. */
export function rankerManifestParams(
  ranker: DcnParams,
  blendWeight: number,
  loss: RankerManifestParams['loss'],
  signalHalfLivesMs?: readonly number[],
): RankerManifestParams {
  return rankerManifestParamsSchema.parse({
    crossLayers: ranker.config.crossLayers,
    hidden: ranker.config.hidden,
    d: ranker.d,
    blendWeight,
    loss,
    ...(signalHalfLivesMs ? { signalHalfLivesMs: [...signalHalfLivesMs] } : {}),
  });
}
