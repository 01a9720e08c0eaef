import type { ModelManifest, ModelRegistry } from '@frec/model-registry';
import { applyGateDecision, gateLogLine, type GateDecision, type GateMetrics, type Rollout } from '@frec/model-serving/gate';
import type { Ranker } from '@frec/model-serving/ranking';
import { runStreamRecShadowGate, type StreamRecGateOptions } from './streamrec-shadow-gate.js';

/** Loads a ranker from its manifest (load-models' `loadRanker`: checksums verified on read). */
export type RankerLoader = (registry: ModelRegistry, manifest: ModelManifest) => Promise<Ranker | undefined>;

/** Options of gating one registered candidate version. */
export interface GateRegisteredOptions extends Omit<StreamRecGateOptions, 'candidate' | 'production'> {
  registry: ModelRegistry;
  /** Registry name (default 'ranker'). */
  name?: string;
  version: number;
  load: RankerLoader;
  /** What a pass does: promote now, or note the canary start (the recommender then runs it). */
  rollout: Rollout;
}

/**
 * The daily job's gate step for one registered candidate: loads it (a corrupt or unloadable
 * artifact refuses it), runs the shadow gate against the last good production version, and
 * records the decision in the registry (refused with reasons, or promoted / canary noted).
 * Production is never touched by a refusal. Returns the decision, and the loaded candidate when it passed.
 */
export async function gateRegisteredCandidate(options: GateRegisteredOptions): Promise<{ decision: GateDecision; candidate?: Ranker }> {
  const reg = options.registry;
  const name = options.name ?? 'ranker';
  const manifest = await reg.describe(name, options.version);
  const good = await reg.lastGood(name);
  let ranker: Ranker | undefined;
  let loadError: string | undefined;
  try {
    await reg.verify(manifest);
    ranker = await options.load(reg, manifest);
    if (!ranker) loadError = `${name} v${options.version} has no loadable ranker artifact`;
  } catch (err) {
    loadError = (err as Error).message;
  }
  if (!ranker) {
    const decision = refusedOnLoad(manifest, good?.manifest, loadError!, options.gateMetrics);
    (options.log ?? ((l: string) => process.stderr.write(`${l}\n`)))(gateLogLine(decision));
    await applyGateDecision(reg, decision, options.rollout);
    return { decision };
  }
  let production: Ranker | undefined;
  if (good && good.manifest.version !== options.version) production = await options.load(reg, good.manifest).catch(() => undefined);
  try {
    const decision = await runStreamRecShadowGate({
      ...options,
      candidate: { ranker, manifest },
      ...(good ? { production: { manifest: good.manifest, ...(production ? { ranker: production } : {}) } } : {}),
    });
    await applyGateDecision(reg, decision, options.rollout);
    if (decision.outcome === 'refused') {
      await ranker.close();
      return { decision };
    }
    return { decision, candidate: ranker };
  } finally {
    await production?.close();
  }
}

function refusedOnLoad(m: ModelManifest, production: ModelManifest | undefined, reason: string, gm?: GateMetrics): GateDecision {
  gm?.decisions.inc({ model: m.name, outcome: 'refused' });
  gm?.checkFailures.inc({ model: m.name, check: 'artifact' });
  return {
    outcome: 'refused',
    model: m.name,
    candidate: { version: m.version, label: `${m.name}@${m.version}` },
    ...(production ? { production: { version: production.version, label: `${production.name}@${production.version}` } } : {}),
    requests: 0,
    checks: [{ name: 'artifact', passed: false, checked: 1, violations: 1, detail: `cannot load the candidate: ${reason}`, examples: [] }],
    reasons: [`artifact: cannot load the candidate: ${reason}`],
    at: new Date().toISOString(),
  };
}
