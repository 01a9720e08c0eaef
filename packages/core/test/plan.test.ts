import { describe, expect, it } from 'vitest';
import {
  buildRepoContents,
  entity,
  featureService,
  featureView,
  field,
  fileSource,
  Float32,
  Float64,
  Int64,
  String as Str,
} from '../src/index.js';
import { applyPlanToRegistry, computePlan, emptyRegistry, type Definition } from '../src/spi.js';

const src = fileSource({ name: 'src', path: 'data/x.parquet', timestampField: 'ts' });
const repo = (...defs: Definition[]) => buildRepoContents(defs.map((object) => ({ object })));

function setup(options: {
  userType?: typeof Int64 | typeof Str;
  scoreType?: typeof Float32 | typeof Float64;
  description?: string;
  withService?: boolean;
  online?: boolean;
}) {
  const user = entity({ name: 'user', joinKey: 'user_id', valueType: options.userType ?? Int64 });
  const stats = featureView({
    name: 'stats',
    entities: [user],
    source: src,
    online: options.online ?? true,
    description: options.description ?? '',
    schema: [field('score', options.scoreType ?? Float32), field('n', Int64)],
  });
  const svc = featureService({ name: 'ranker', features: [stats.select(['score'])] });
  return options.withService === false ? repo(user, stats) : repo(user, stats, svc);
}

describe('computePlan', () => {
  const applied = applyPlanToRegistry(setup({}), emptyRegistry('p'), new Date('2026-01-01T00:00:00Z'));

  it('sees no changes against what was applied, and records the base generation', () => {
    const plan = computePlan(setup({}), applied);
    expect(plan.changes).toEqual([]);
    expect(plan.unchanged).toBe(4);
    expect(plan.baseGeneration).toBe(1);
  });

  it('flags the type change of a served feature as breaking', () => {
    const plan = computePlan(setup({ scoreType: Float64 }), applied);
    expect(plan.hasBreakingChanges).toBe(true);
    expect(plan.changes).toEqual([
      expect.objectContaining({
        type: 'change',
        kind: 'featureViews',
        name: 'stats',
        breaking: ["type of served feature 'score' changes from float32 to float64"],
      }),
    ]);
  });

  it('flags an entity join-key type change as breaking, on the entity and on the view', () => {
    const plan = computePlan(setup({ userType: Str }), applied);
    const byName = Object.fromEntries(plan.changes.map((c) => [c.name, c]));
    expect(byName.user?.breaking).toEqual(['entity join key or type changes']);
    expect(byName.stats?.breaking[0]).toMatch(/entity \(join keys or their types\) changes/);
  });

  it('does not flag a description change', () => {
    const plan = computePlan(setup({ description: 'now documented' }), applied);
    expect(plan.hasBreakingChanges).toBe(false);
    expect(plan.changes[0]?.details).toEqual(['description: "" -> "now documented"']);
  });

  it('lists removals, and keeps created times and bumps versions on apply', () => {
    const plan = computePlan(setup({ withService: false }), applied);
    expect(plan.changes.map((c) => `${c.type} ${c.kind} ${c.name}`)).toEqual(['remove featureServices ranker']);
    const next = applyPlanToRegistry(setup({ scoreType: Float64 }), applied, new Date('2026-02-01T00:00:00Z'));
    expect(next.generation).toBe(2);
    expect(next.featureViews.stats).toMatchObject({
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-02-01T00:00:00.000Z',
      version: 2,
    });
    expect(next.entities.user).toMatchObject({ updatedAt: '2026-01-01T00:00:00.000Z', version: 1 });
  });
});
