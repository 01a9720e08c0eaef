/** A model version as the gate compares it: registry name and version, and its registered offline metrics. */
export interface GateModel {
  name: string;
  version: number;
  /** How serving labels it (e.g. 'ranker@7'); default `<name>@<version>`. */
  label?: string;
  /** Registered offline metrics (the manifest's `metrics`). */
  metrics?: Readonly<Record<string, number>>;
}

/** One request as both sides answered it; the candidate's answer is only inspected, never returned. */
export interface ShadowPair<Req, Out> {
  request: Req;
  production: Out;
  candidate: Out;
}

/**
 * A named per-request check over a shadow pair: undefined when the candidate's answer is fine,
 * else what is wrong with it (one line, with the offending ids).
 */
export interface ShadowCheck<Req, Out> {
  name: string;
  /** What the check guards against, for reports. */
  description: string;
  check(pair: ShadowPair<Req, Out>): string | undefined | Promise<string | undefined>;
}

/** An offline metric the candidate must not lose beyond `tolerance` (absolute) against production. */
export interface MetricTolerance {
  metric: string;
  /** Largest allowed loss, in the metric's units (e.g. 0.005 of NDCG@20). */
  tolerance: number;
  /** Default true (NDCG, recall); false for a loss or an error. */
  higherIsBetter?: boolean;
}

/** The outcome of one named check. */
export interface GateCheckReport {
  name: string;
  passed: boolean;
  /** Requests (or values) the check looked at. */
  checked: number;
  violations: number;
  /** One line for a report or a log. */
  detail: string;
  /** Up to five violations as the check described them. */
  examples: string[];
}

/** The gate's verdict on a candidate. */
export interface GateDecision {
  outcome: 'promoted' | 'refused';
  model: string;
  candidate: { version: number; label: string };
  production?: { version: number; label: string };
  /** Requests both sides answered. */
  requests: number;
  checks: GateCheckReport[];
  /** The failed checks' details: empty when promoted. */
  reasons: string[];
  /** ISO time of the decision. */
  at: string;
}

/** Counters the gate bumps (prom-client's Counter fits); the caller's registry exposes them. */
export interface GateMetrics {
  /** Decisions by model and outcome ('promoted' | 'refused'). */
  decisions: { inc(labels: { model: string; outcome: string }, value?: number): void };
  /** Failed checks by model and check name. */
  checkFailures: { inc(labels: { model: string; check: string }, value?: number): void };
}
