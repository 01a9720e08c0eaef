/** One served item, as the impression log holds it. */
export interface Impression {
  requestId: string;
  userId: string;
  itemId: string;
  position: number;
  /** Epoch milliseconds. */
  servedAt: number;
  modelVersion?: string;
}

/** One user interaction (a rating, a play, a click), from the events that follow serving. */
export interface Interaction {
  userId: string;
  itemId: string;
  /** Epoch milliseconds. */
  at: number;
}

/** Engagement over a set of impressions. */
export interface EngagementFigures {
  impressions: number;
  lists: number;
  /** Impressions followed by an interaction with the same item by the same user within the window. */
  engaged: number;
  /** engaged / impressions: the CTR proxy. */
  ctrProxy: number;
  /** Lists with at least one engaged item / lists. */
  hitRate: number;
  /** Distinct items shown. */
  itemsShown: number;
}

/** One ISO week (Monday 00:00 UTC) of catalog coverage. */
export interface WeeklyCoverage extends EngagementFigures {
  week: string;
  /** Distinct items shown / catalog size. */
  coverage: number;
  meetsTarget: boolean;
}

/** The engagement report: overall, per model version, and catalog coverage per week against the target. */
export interface EngagementReport {
  attributionWindowHours: number;
  catalogSize: number;
  coverageTarget: number;
  overall: EngagementFigures;
  byModel: Record<string, EngagementFigures>;
  weeks: WeeklyCoverage[];
}

const DAY = 86_400_000;

/** The Monday (UTC) starting the week of `ms`, as YYYY-MM-DD. */
export function isoWeekStart(ms: number): string {
  const day = Math.floor(ms / DAY);
  // 1970-01-01 was a Thursday: day 0 is weekday 3 counting Monday as 0.
  const monday = day - ((day + 3) % 7);
  return new Date(monday * DAY).toISOString().slice(0, 10);
}

function figures(imps: readonly Impression[], engagedFlags: readonly boolean[], idx: readonly number[]): EngagementFigures {
  const lists = new Map<string, boolean>();
  const items = new Set<string>();
  let engaged = 0;
  for (const i of idx) {
    const imp = imps[i]!;
    items.add(imp.itemId);
    const e = engagedFlags[i]!;
    if (e) engaged++;
    lists.set(imp.requestId, (lists.get(imp.requestId) ?? false) || e);
  }
  const hits = [...lists.values()].filter(Boolean).length;
  return {
    impressions: idx.length,
    lists: lists.size,
    engaged,
    ctrProxy: idx.length > 0 ? round(engaged / idx.length) : 0,
    hitRate: lists.size > 0 ? round(hits / lists.size) : 0,
    itemsShown: items.size,
  };
}

/**
 * Engagement from logged impressions and the interactions that followed: the CTR proxy (share of
 * impressions the user then interacted with within the window), the hit rate of served lists, and
 * per ISO week the share of the catalog shown against the coverage target (the seed's 95%).
 */
export function engagementReport(options: {
  impressions: readonly Impression[];
  interactions: readonly Interaction[];
  catalogSize: number;
  /** How long after serving an interaction still counts (default 7 days). */
  attributionWindowMs?: number;
  coverageTarget?: number;
}): EngagementReport {
  const window = options.attributionWindowMs ?? 7 * DAY;
  const target = options.coverageTarget ?? 0.95;
  const times = new Map<string, number[]>();
  for (const e of options.interactions) {
    const k = `${e.userId}\u0000${e.itemId}`;
    let list = times.get(k);
    if (!list) times.set(k, (list = []));
    list.push(e.at);
  }
  for (const list of times.values()) list.sort((a, b) => a - b);
  const imps = options.impressions;
  const engaged = imps.map((imp) => {
    const list = times.get(`${imp.userId}\u0000${imp.itemId}`);
    if (!list) return false;
    // First interaction at or after serving.
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]! < imp.servedAt) lo = mid + 1;
      else hi = mid;
    }
    return lo < list.length && list[lo]! - imp.servedAt <= window;
  });
  const all = imps.map((_, i) => i);
  const byModelIdx = new Map<string, number[]>();
  const byWeekIdx = new Map<string, number[]>();
  imps.forEach((imp, i) => {
    const m = imp.modelVersion ?? 'unknown';
    (byModelIdx.get(m) ?? byModelIdx.set(m, []).get(m)!).push(i);
    const w = isoWeekStart(imp.servedAt);
    (byWeekIdx.get(w) ?? byWeekIdx.set(w, []).get(w)!).push(i);
  });
  const byModel: Record<string, EngagementFigures> = {};
  for (const [m, idx] of [...byModelIdx].sort((a, b) => a[0].localeCompare(b[0]))) byModel[m] = figures(imps, engaged, idx);
  const weeks = [...byWeekIdx]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([week, idx]) => {
      const f = figures(imps, engaged, idx);
      const coverage = options.catalogSize > 0 ? round(f.itemsShown / options.catalogSize) : 0;
      return { week, ...f, coverage, meetsTarget: coverage >= target };
    });
  return {
    attributionWindowHours: window / 3_600_000,
    catalogSize: options.catalogSize,
    coverageTarget: target,
    overall: figures(imps, engaged, all),
    byModel,
    weeks,
  };
}

const round = (x: number): number => Math.round(x * 1e6) / 1e6;
