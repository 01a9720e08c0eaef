import { performance } from 'node:perf_hooks';
import type { GateCheckReport, GateDecision, GateMetrics, GateModel, MetricTolerance, ShadowCheck } from './gate-types.js';

/** Options of one gate run. */
export interface ShadowGateOptions<Req, Out> {
  candidate: GateModel;
  /** Undefined when nothing is in production yet: metric checks then pass with a note. */
  production?: GateModel;
  /** Replayed or live requests, each answered by both sides in turn. */
  traffic: Iterable<Req> | AsyncIterable<Req>;
  /** Answers a request with one side's model; the candidate's output goes only to the checks. */
  serve: { production(request: Req): Promise<Out>; candidate(request: Req): Promise<Out> };
  /** Per-request checks (NaN scores, catalog, re-ranking invariants...). */
  checks: ReadonlyArray<ShadowCheck<Req, Out>>;
  /** Offline metrics the candidate must keep (from the manifests' registered metrics). */
  metrics?: readonly MetricTolerance[];
  /**
   * The candidate's latency must keep its `quantile` (default 0.95) within `budgetMs`: its serve
   * time, or what `of` reads from its answer (e.g. the ranking stage's milliseconds).
   */
  latency?: { budgetMs: number; quantile?: number; of?: (out: Out) => number };
  /** Fewer requests than this refuses the candidate: a gate that saw no traffic proves nothing (default 1). */
  minRequests?: number;
  gateMetrics?: GateMetrics;
  /** Where the decision's one log line goes (default: stderr). */
  log?: (line: string) => void;
  now?: () => Date;
}

const EXAMPLES = 5;

/** The candidate's label as serving reports it. */
export function gateLabel(m: GateModel): string {
  return m.label ?? `${m.name}@${m.version}`;
}

/** The q-quantile of `values` (nearest rank); NaN for none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/**
 * The shadow gate: every request of `traffic` is answered by production and by the candidate,
 * and the candidate's answers go through every named check; its serve time and registered
 * offline metrics are checked too. The candidate is promoted only when every check passes;
 * otherwise it is refused with the failed checks as reasons. Responses are never changed: the
 * caller returns production's answers (or none, in a replay). A candidate that throws fails the
 * `candidate_errors` check rather than the gate run.
 * @example
 * const d = await runShadowGate({ candidate, production, traffic, serve, checks: [finiteScoresCheck((o) => o.scores)] });
 * if (d.outcome === 'refused') console.log(d.reasons);
 */
export async function runShadowGate<Req, Out>(options: ShadowGateOptions<Req, Out>): Promise<GateDecision> {
  const violations = new Map<string, { count: number; examples: string[] }>(
    options.checks.map((c) => [c.name, { count: 0, examples: [] }]),
  );
  const errors = { count: 0, examples: [] as string[] };
  const candidateMs: number[] = [];
  let requests = 0;
  let served = 0;
  for await (const request of options.traffic) {
    requests++;
    const production = await options.serve.production(request);
    const t0 = performance.now();
    let candidate: Out;
    try {
      candidate = await options.serve.candidate(request);
    } catch (err) {
      errors.count++;
      if (errors.examples.length < EXAMPLES) errors.examples.push(`request ${requests}: ${(err as Error)?.message ?? String(err)}`);
      continue;
    }
    candidateMs.push(options.latency?.of ? options.latency.of(candidate) : performance.now() - t0);
    served++;
    for (const c of options.checks) {
      const problem = await c.check({ request, production, candidate });
      if (problem === undefined) continue;
      const v = violations.get(c.name)!;
      v.count++;
      if (v.examples.length < EXAMPLES) v.examples.push(problem);
    }
  }

  const reports: GateCheckReport[] = [];
  const minRequests = options.minRequests ?? 1;
  reports.push({
    name: 'traffic',
    passed: requests >= minRequests,
    checked: requests,
    violations: requests >= minRequests ? 0 : 1,
    detail:
      requests >= minRequests
        ? `${requests} requests replayed`
        : `only ${requests} requests replayed, fewer than the ${minRequests} required`,
    examples: [],
  });
  reports.push({
    name: 'candidate_errors',
    passed: errors.count === 0,
    checked: requests,
    violations: errors.count,
    detail: errors.count === 0 ? 'no request failed on the candidate' : `${errors.count} of ${requests} requests failed on the candidate`,
    examples: errors.examples,
  });
  for (const c of options.checks) {
    const v = violations.get(c.name)!;
    reports.push({
      name: c.name,
      passed: v.count === 0,
      checked: served,
      violations: v.count,
      detail: v.count === 0 ? `held on ${served} requests` : `${v.count} of ${served} requests broke it (${c.description})`,
      examples: v.examples,
    });
  }
  for (const t of options.metrics ?? []) reports.push(metricReport(t, options.candidate, options.production));
  if (options.latency) {
    const q = options.latency.quantile ?? 0.95;
    const p = quantile(candidateMs, q);
    const ok = candidateMs.length > 0 && p <= options.latency.budgetMs;
    reports.push({
      name: `latency_p${Math.round(q * 100)}`,
      passed: ok,
      checked: candidateMs.length,
      violations: ok ? 0 : 1,
      detail:
        candidateMs.length === 0
          ? 'no candidate answer was timed'
          : `candidate p${Math.round(q * 100)} ${p.toFixed(2)} ms ${ok ? 'within' : 'over'} the ${options.latency.budgetMs} ms budget`,
      examples: [],
    });
  }

  const failed = reports.filter((r) => !r.passed);
  const decision: GateDecision = {
    outcome: failed.length === 0 ? 'promoted' : 'refused',
    model: options.candidate.name,
    candidate: { version: options.candidate.version, label: gateLabel(options.candidate) },
    ...(options.production ? { production: { version: options.production.version, label: gateLabel(options.production) } } : {}),
    requests,
    checks: reports,
    reasons: failed.map((r) => `${r.name}: ${r.detail}${r.examples.length ? ` (e.g. ${r.examples[0]})` : ''}`),
    at: (options.now?.() ?? new Date()).toISOString(),
  };
  const gm = options.gateMetrics;
  gm?.decisions.inc({ model: decision.model, outcome: decision.outcome });
  for (const r of failed) gm?.checkFailures.inc({ model: decision.model, check: r.name });
  (options.log ?? ((l: string) => process.stderr.write(`${l}\n`)))(gateLogLine(decision));
  return decision;
}

/** The decision as one log line: model, versions, outcome and the failed checks. */
export function gateLogLine(d: GateDecision): string {
  const vs = `${d.candidate.label} vs production ${d.production?.label ?? '(none)'}`;
  return d.outcome === 'promoted'
    ? `shadow gate: ${vs}: promoted, ${d.checks.length} checks passed on ${d.requests} requests`
    : `shadow gate: ${vs}: refused on ${d.requests} requests; ${d.reasons.join('; ')}`;
}

function metricReport(t: MetricTolerance, candidate: GateModel, production: GateModel | undefined): GateCheckReport {
  const name = `offline_metric:${t.metric}`;
  const c = candidate.metrics?.[t.metric];
  const p = production?.metrics?.[t.metric];
  const report = (passed: boolean, detail: string): GateCheckReport => ({
    name,
    passed,
    checked: 1,
    violations: passed ? 0 : 1,
    detail,
    examples: [],
  });
  if (c === undefined || !Number.isFinite(c)) return report(false, `the candidate has no registered finite '${t.metric}'`);
  if (p === undefined || !Number.isFinite(p)) return report(true, `candidate ${fmt(c)}; production has no '${t.metric}' to compare with`);
  const loss = (t.higherIsBetter ?? true) ? p - c : c - p;
  const ok = loss <= t.tolerance;
  return report(
    ok,
    `candidate ${fmt(c)} vs production ${fmt(p)}: ${loss > 0 ? `worse by ${fmt(loss)}` : 'not worse'}, tolerance ${fmt(t.tolerance)}`,
  );
}

const fmt = (x: number): string => String(Number(x.toFixed(6)));
