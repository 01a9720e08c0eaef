import type { FeatureStore } from '@frec/core';
import type { Interactions } from '../../data/interactions.js';
import {
  globalTimeSplit,
  maxOverlapTestFraction,
  perUserTemporalSplit,
  ASK_BEFORE_MS,
  rankerHoldout,
  seenItems,
  windowHoldout,
  type ProtocolName,
  type Split,
} from '../../eval/protocols.js';
import { userOfKey, validationSlice, type ValidationSlice } from '../../eval/validation.js';
import { excludeAt } from '../../eval/catalog-at.js';
import { innerWindowStartsMs } from '../../eval/inner-split.js';
import { catalogSnapshot, D_USER, twoTowerTrainingSet, type CatalogSnapshot } from '../../training-sets/build-training-sets.js';
import { LOOKUP_OFFSET_MS } from '../../training-sets/historical-rows.js';
import type { SplitConfig } from '../config.js';
import type { Step } from '../step.js';

/** The two-tower training set of a split: one row per training event, with its recent items. */
export type TwoTowerSet = Awaited<ReturnType<typeof twoTowerTrainingSet>>;

/** One protocol's split and what every later step of that protocol shares. */
export interface SplitData {
  split: Split;
  /** Each user's training items, excluded from their rankings. */
  seen: Map<number, Set<number>>;
  /** Item features of the whole catalog as of the split's request time. */
  catalog: CatalogSnapshot;
  /** Every training event's two-tower row, features read point-in-time through the feature store. */
  towerSet: TwoTowerSet;
  /**
   * Positions (into split.train) held out from the tuned tower: the ranker learns from them, the
   * query and the blend are tuned on them (ADR 0052).
   */
  holdout: Int32Array;
  /** The held-out users the blend is tuned on; the ranker trains on the other held-out events. */
  validation: ValidationSlice;
  /** When the holdout is a time window: the time the first window's requests are asked at (validationSlice's askAtMs). */
  askAtMs?: number;
  /** When the holdout is time windows: their start times, earliest first (validationSlice's windowStartsMs). */
  windowStartsMs?: readonly number[];
}

/** validationSlice's options for a split's holdout: its windows, when it is time windows. */
export function windowOptions(s: Pick<SplitData, 'windowStartsMs'>): { windowStartsMs?: readonly number[] } {
  return s.windowStartsMs ? { windowStartsMs: s.windowStartsMs } : {};
}

/** Split: one protocol's train/test split, its catalog snapshot and two-tower training set, the ranker's holdout. */
export const splitStep: Step<SplitConfig, { store: FeatureStore; data: Interactions; protocol: ProtocolName }, SplitData> = {
  name: 'split',
  async run({ store, data, protocol }, config, ctx) {
    const split =
      protocol === 'global_time'
        ? globalTimeSplit(data, config.globalTestFraction ?? maxOverlapTestFraction(data))
        : perUserTemporalSplit(data);
    const seen = seenItems(data, split);
    const catalogAt = protocol === 'global_time' ? (split.evalTimeMs.values().next().value ?? split.trainEndMs) : split.trainEndMs;
    const catalog = await ctx.time('catalog-features', () => catalogSnapshot(store, data, catalogAt));
    const towerSet = await ctx.time('two-tower-training-set', () => twoTowerTrainingSet(store, data, split, catalog));
    const window = protocol === 'global_time' && config.globalHoldout === 'window';
    // Several windows before the cutoff: the tuned tower trains before the first, every window's
    // requests validate (innerWindowStartsMs).
    const starts = window ? innerWindowStartsMs(data, split, config.validationWindows ?? 1) : undefined;
    const cutoff = starts?.[0];
    const holdout = cutoff !== undefined ? windowHoldout(data, split, cutoff) : rankerHoldout(data, split);
    const at = cutoff !== undefined ? { askAtMs: cutoff - ASK_BEFORE_MS, windowStartsMs: starts! } : {};
    const validation = validationSlice(data, split, holdout, { seed: ctx.seed, ...at });
    return { split, seen, catalog, towerSet, holdout, validation, ...at };
  },
};

/**
 * One request per key of a held-out slice (a user, or a user in one window), asked at its window's
 * start (askAt), the slice's askAtMs, or else at the user's first held-out event: the point-in-time user vector and recent items of that training example (the
 * user's first held-out event, so no held-out event of theirs is in them), the items to exclude.
 */
export function heldOutRequests(slice: ValidationSlice, tt: TwoTowerSet, data: Interactions, split: Split) {
  const firstSeen = split.itemFirstSeenMs;
  return [...slice.firstPos].map(([key, j]) => {
    const atMs = slice.askAt?.get(key) ?? slice.askAtMs ?? data.timeMs[split.train[j]!]! - LOOKUP_OFFSET_MS;
    const seen = slice.exclude.get(key) ?? new Set<number>();
    return {
      user: userOfKey(key),
      /** The request's key in the slice's maps (the user, unless the user asks in several windows). */
      key,
      vector: tt.userFeatures.slice(j * D_USER, (j + 1) * D_USER),
      recent: tt.recentItems[j]!,
      exclude: firstSeen ? excludeAt(firstSeen, atMs, seen) : seen,
      atMs,
    };
  });
}
