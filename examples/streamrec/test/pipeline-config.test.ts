import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_STEP_CONFIGS, resolvePipelineConfig } from '../src/pipeline/config.js';
import { BLEND_GRID, DEFAULT_CANDIDATE_MIX } from '../src/pipeline/two-stage/index.js';
import { DEFAULT_CO_OCCURRENCE } from '../src/retrieval/index.js';

const base = { repoPath: '/tmp/repo', inputDir: '/tmp/ml' };

describe('pipeline config', () => {
  it('fills every default in one place: the run settings and each step', () => {
    const c = resolvePipelineConfig(base);
    expect(c).toMatchObject({
      seed: 42,
      protocols: ['global_time', 'per_user_temporal'],
      register: true,
      promote: false,
      quiet: false,
      dataDir: path.join('/tmp/repo', 'data'),
      modelRegistry: path.join('/tmp/repo', 'data', 'models'),
    });
    expect(c.trainThreads).toBeGreaterThanOrEqual(1);
    expect(c.trainThreads).toBeLessThanOrEqual(2);
    expect(c.steps).toEqual(DEFAULT_STEP_CONFIGS);
    expect(c.steps.rankerSet).toEqual({ positives: 2000, negatives: 'pool', candidates: DEFAULT_CANDIDATE_MIX, blendFolds: 2 });
    expect(c.steps.tuneQuery.coOccurrence).toEqual(DEFAULT_CO_OCCURRENCE);
    expect(c.steps.trainRetrieval).toEqual({ tower: {}, members: 2, history: { weight: 1, decay: 0.25 }, refit: true });
  });

  it('merges a step setting over its defaults object by object, and replaces arrays whole', () => {
    const c = resolvePipelineConfig({
      ...base,
      steps: {
        rankerSet: { candidates: { twoTower: 30 } },
        trainRanker: { dcn: { epochs: 1 } },
        tuneBlend: { weights: [0, 1] },
      },
    });
    expect(c.steps.rankerSet).toEqual({
      positives: 2000,
      negatives: 'pool',
      candidates: { ...DEFAULT_CANDIDATE_MIX, twoTower: 30 },
      blendFolds: 2,
    });
    expect(c.steps.trainRanker.dcn).toEqual({ crossLayers: 0, hidden: [], epochs: 1 });
    expect(c.steps.tuneBlend.weights).toEqual([0, 1]);
    // The defaults themselves are untouched.
    expect(DEFAULT_STEP_CONFIGS.rankerSet.candidates).toEqual(DEFAULT_CANDIDATE_MIX);
    expect(DEFAULT_STEP_CONFIGS.tuneBlend.weights).toEqual([...BLEND_GRID]);
    expect(DEFAULT_STEP_CONFIGS.trainRanker.dcn).toEqual({ crossLayers: 0, hidden: [] });
  });

  it('refuses bad settings with a coded error naming the option', () => {
    expect(() => resolvePipelineConfig({ ...base, trainThreads: -1 })).toThrow(
      /trainThreads is -1; it must be a whole number of at least 0/,
    );
    expect(() => resolvePipelineConfig({ ...base, steps: { trainRetrieval: { members: 1.5 } } })).toThrow(
      /steps.trainRetrieval.members is 1.5/,
    );
    expect(() => resolvePipelineConfig({ ...base, protocols: ['per_user_temporal'] })).toThrow(/needs the global_time protocol/);
    expect(resolvePipelineConfig({ ...base, protocols: ['per_user_temporal'], register: false }).protocols).toEqual(['per_user_temporal']);
  });
});
