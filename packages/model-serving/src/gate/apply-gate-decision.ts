import type { GateDecision } from './gate-types.js';

/** The part of the model registry a gate decision is recorded in (`@frec/model-registry`'s ModelRegistry fits). */
export interface GateRegistry {
  promote(
    name: string,
    version: number,
    options: { featureServiceExists: (s: string) => Promise<boolean>; reason?: string },
  ): Promise<unknown>;
  refuse(name: string, version: number, reason: string): Promise<unknown>;
  note(name: string, version: number, event: 'canary', reason: string): Promise<unknown>;
}

/** How a passed candidate goes live: at once, or by a canary that promotes it when it ends. */
export type Rollout = { kind: 'now'; featureServiceExists: (s: string) => Promise<boolean> } | { kind: 'canary' };

/**
 * Records a gate decision in the model registry: a refused candidate moves to `rejected` with the
 * failed checks as reason (production stays); a passed one is promoted now, or noted as entering
 * its canary. The history entry is what the console and `frec models describe` show.
 */
export async function applyGateDecision(registry: GateRegistry, decision: GateDecision, rollout: Rollout): Promise<void> {
  const { model, candidate } = decision;
  if (decision.outcome === 'refused') {
    await registry.refuse(model, candidate.version, `shadow gate refused: ${decision.reasons.join('; ')}`);
    return;
  }
  const passed = `shadow gate passed ${decision.checks.length} checks on ${decision.requests} requests`;
  if (rollout.kind === 'now')
    await registry.promote(model, candidate.version, { featureServiceExists: rollout.featureServiceExists, reason: passed });
  else await registry.note(model, candidate.version, 'canary', `${passed}; canary starts`);
}
