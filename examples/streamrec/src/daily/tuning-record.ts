import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ModelManifest, ModelRegistry } from '@frec/model-registry';
import type { DeepPartial, StepConfigs } from '../pipeline/config.js';
import { RANKER_FEATURE_NAMES } from '../training-sets/build-training-sets.js';
import { ITEM_VECTOR_NAMES, USER_VECTOR_NAMES } from '../training-sets/vectorize.js';

/** What tune-query and tune-blend choose on validation: the values a day without a re-tuning reuses. */
export interface TunedValues {
  recentWeight: number;
  recentDecay: number;
  popularityWeight: number;
  coOccurrenceWeight: number;
  blendWeight: number;
}

/**
 * When and on what the values a registered pair serves were chosen: recorded in each day's
 * daily/<day>.json artifact, so the next day can reuse them until the schedule says re-tune.
 */
export interface TuningRecord {
  /** The day whose validation search chose `values` (the same day as the artifact's when it re-tuned). */
  tunedOn: string;
  /** featureSchema() when they were chosen: a change of features forces a re-tuning. */
  featureSchema: string;
  values: TunedValues;
}

/** Why a day re-tunes or reuses. */
export interface TuningDecision {
  retune: boolean;
  why: string;
  /** The record reused (retune false). */
  reuse?: TuningRecord;
}

/**
 * The feature schema the tuned values depend on: the models' input names and the feature repo's
 * definitions (features.ts) as sha256. A re-tuning is forced when it differs from the record's.
 */
export function featureSchema(repoPath: string): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ user: USER_VECTOR_NAMES, item: ITEM_VECTOR_NAMES, ranker: RANKER_FEATURE_NAMES }));
  h.update(readFileSync(path.join(repoPath, 'features.ts')));
  return h.digest('hex').slice(0, 16);
}

const DAY_MS = 86_400_000;

/**
 * Re-tune when there is no record to reuse (no production pair, or one registered before records
 * were kept), when the feature schema changed, or when the record is `everyDays` days old or more
 * (a clock gone back, tunedOn after the day, re-tunes too); else reuse production's values.
 */
export function decideTuning(record: TuningRecord | undefined, day: string, schema: string, everyDays: number): TuningDecision {
  if (!record) return { retune: true, why: 'production has no tuning record (first day, or registered before records were kept)' };
  if (record.featureSchema !== schema)
    return { retune: true, why: `the feature schema changed since ${record.tunedOn} (${record.featureSchema} -> ${schema})` };
  const age = Math.round((Date.parse(`${day}T00:00:00Z`) - Date.parse(`${record.tunedOn}T00:00:00Z`)) / DAY_MS);
  if (!(age >= 0 && age < everyDays))
    return { retune: true, why: `production's values were tuned on ${record.tunedOn}, ${age} days ago (every ${everyDays})` };
  return {
    retune: false,
    why: `reusing the values tuned on ${record.tunedOn} (${age} days ago; re-tuning every ${everyDays})`,
    reuse: record,
  };
}

/** Step settings that make tune-query and tune-blend use `values` instead of searching. */
export function fixedTuningSteps(values: TunedValues): DeepPartial<StepConfigs> {
  return {
    tuneQuery: {
      fixed: {
        history: { weight: values.recentWeight, decay: values.recentDecay },
        popularityWeight: values.popularityWeight,
        coOccurrenceWeight: values.coOccurrenceWeight,
      },
    },
    tuneBlend: { fixed: values.blendWeight },
  };
}

/** The tuning record in a registered model's daily/<day>.json artifact; undefined when it has none. */
export async function readTuningRecord(registry: ModelRegistry, m: ModelManifest): Promise<TuningRecord | undefined> {
  const artifact = m.artifacts.find((a) => /^daily\/\d{4}-\d{2}-\d{2}\.json$/.test(a.path));
  if (!artifact) return undefined;
  const record = JSON.parse(Buffer.from(await registry.readArtifact(m, artifact.path)).toString('utf8')) as { tuning?: TuningRecord };
  const t = record.tuning;
  return t && typeof t.tunedOn === 'string' && typeof t.featureSchema === 'string' && t.values ? t : undefined;
}
