import { describe, expect, it } from 'vitest';
import { Counter, Registry } from 'prom-client';
import { finiteScoresCheck, itemsInCatalogCheck, quantile, runShadowGate, type GateModel } from '../src/gate/index.js';

// A toy request path: a request is a user number, an answer is scored item ids. The candidate
// variants are real functions with the defects the gate exists to catch.
type Answer = { items: number[]; scores: number[] };
const catalog = new Set(Array.from({ length: 50 }, (_, i) => i + 1));
const answer = (u: number, f: (item: number) => number): Answer => {
  const items = [1, 2, 3, 4, 5].map((k) => ((u * k) % 50) + 1);
  return { items, scores: items.map(f) };
};
const production: GateModel = { name: 'ranker', version: 1, metrics: { 'global/ndcg20': 0.2, 'global/recall20': 0.3 } };
const candidate = (metrics = { 'global/ndcg20': 0.198, 'global/recall20': 0.31 }): GateModel => ({ name: 'ranker', version: 2, metrics });
const traffic = Array.from({ length: 20 }, (_, i) => i + 1);
const checks = [
  finiteScoresCheck<number, Answer>(
    (a) => a.scores,
    (a, i) => a.items[i]!,
  ),
  itemsInCatalogCheck<number, Answer>(
    (a) => a.items,
    (id) => catalog.has(Number(id)),
  ),
];
const silent = () => {};

function metrics() {
  const registry = new Registry();
  return {
    registry,
    gate: {
      decisions: new Counter({ name: 'g_decisions_total', help: 'h', labelNames: ['model', 'outcome'], registers: [registry] }),
      checkFailures: new Counter({ name: 'g_check_failures_total', help: 'h', labelNames: ['model', 'check'], registers: [registry] }),
    },
  };
}

describe('runShadowGate', () => {
  it('promotes a candidate that passes every check, within the metric tolerance and the latency budget', async () => {
    const m = metrics();
    const lines: string[] = [];
    const d = await runShadowGate<number, Answer>({
      candidate: candidate(),
      production,
      traffic,
      serve: { production: async (u) => answer(u, (i) => i / 10), candidate: async (u) => answer(u, (i) => i / 11) },
      checks,
      metrics: [
        { metric: 'global/ndcg20', tolerance: 0.005 },
        { metric: 'global/recall20', tolerance: 0.005 },
      ],
      latency: { budgetMs: 1000 },
      gateMetrics: m.gate,
      log: (l) => lines.push(l),
    });
    expect(d.outcome).toBe('promoted');
    expect(d.reasons).toEqual([]);
    expect(d.requests).toBe(20);
    expect(d.checks.map((c) => c.name)).toEqual([
      'traffic',
      'candidate_errors',
      'finite_scores',
      'items_in_catalog',
      'offline_metric:global/ndcg20',
      'offline_metric:global/recall20',
      'latency_p95',
    ]);
    expect(d.checks.find((c) => c.name === 'offline_metric:global/ndcg20')!.detail).toBe(
      'candidate 0.198 vs production 0.2: worse by 0.002, tolerance 0.005',
    );
    expect(lines).toEqual(['shadow gate: ranker@2 vs production ranker@1: promoted, 7 checks passed on 20 requests']);
    expect(await m.registry.metrics()).toContain('g_decisions_total{model="ranker",outcome="promoted"} 1');
  });

  it('refuses on non-finite scores, items outside the catalog, a metric loss, errors and latency, naming each', async () => {
    const m = metrics();
    const lines: string[] = [];
    const d = await runShadowGate<number, Answer>({
      candidate: candidate({ 'global/ndcg20': 0.18, 'global/recall20': 0.3 }),
      production,
      traffic,
      serve: {
        production: async (u) => answer(u, (i) => i),
        candidate: async (u) => {
          if (u === 7) throw new Error('session crashed');
          const a = answer(u, (i) => (i % 3 === 0 ? NaN : i));
          if (u % 5 === 0) a.items.push(999);
          return a;
        },
      },
      checks,
      metrics: [{ metric: 'global/ndcg20', tolerance: 0.005 }],
      latency: { budgetMs: 5, of: (a) => (a.items.length > 5 ? 50 : 1) },
      gateMetrics: m.gate,
      log: (l) => lines.push(l),
    });
    expect(d.outcome).toBe('refused');
    const failed = d.checks.filter((c) => !c.passed).map((c) => c.name);
    expect(failed).toEqual(['candidate_errors', 'finite_scores', 'items_in_catalog', 'offline_metric:global/ndcg20', 'latency_p95']);
    expect(d.checks.find((c) => c.name === 'items_in_catalog')).toMatchObject({ violations: 4, checked: 19 });
    expect(d.checks.find((c) => c.name === 'candidate_errors')!.examples).toEqual(['request 7: session crashed']);
    expect(d.reasons[3]).toBe('offline_metric:global/ndcg20: candidate 0.18 vs production 0.2: worse by 0.02, tolerance 0.005');
    expect(lines[0]).toMatch(/^shadow gate: ranker@2 vs production ranker@1: refused on 20 requests; candidate_errors: 1 of 20/);
    const text = await m.registry.metrics();
    expect(text).toContain('g_decisions_total{model="ranker",outcome="refused"} 1');
    expect(text).toContain('g_check_failures_total{model="ranker",check="finite_scores"} 1');
  });

  it('refuses without traffic, and a candidate without the registered metric; passes a first model with a note', async () => {
    const none = await runShadowGate<number, Answer>({
      candidate: candidate(),
      production,
      traffic: [],
      serve: { production: async (u) => answer(u, (i) => i), candidate: async (u) => answer(u, (i) => i) },
      checks,
      minRequests: 5,
      log: silent,
    });
    expect(none.outcome).toBe('refused');
    expect(none.reasons[0]).toBe('traffic: only 0 requests replayed, fewer than the 5 required');
    const missing = await runShadowGate<number, Answer>({
      candidate: candidate({} as never),
      traffic,
      serve: { production: async (u) => answer(u, (i) => i), candidate: async (u) => answer(u, (i) => i) },
      checks,
      metrics: [{ metric: 'global/ndcg20', tolerance: 0.005 }],
      log: silent,
    });
    expect(missing.reasons).toEqual(["offline_metric:global/ndcg20: the candidate has no registered finite 'global/ndcg20'"]);
    const first = await runShadowGate<number, Answer>({
      candidate: candidate(),
      traffic,
      serve: { production: async (u) => answer(u, (i) => i), candidate: async (u) => answer(u, (i) => i) },
      checks,
      metrics: [{ metric: 'global/ndcg20', tolerance: 0.005 }],
      log: silent,
    });
    expect(first.outcome).toBe('promoted');
    expect(first.checks.at(-1)!.detail).toBe("candidate 0.198; production has no 'global/ndcg20' to compare with");
  });

  it('quantile is the nearest-rank quantile', () => {
    expect(quantile([5, 1, 4, 2, 3], 0.95)).toBe(5);
    expect(
      quantile(
        Array.from({ length: 100 }, (_, i) => i + 1),
        0.95,
      ),
    ).toBe(95);
    expect(quantile([], 0.5)).toBeNaN();
  });
});
