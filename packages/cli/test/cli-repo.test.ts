import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frec } from './run-frec.js';

const root = mkdtempSync(path.join(tmpdir(), 'frec-cli-'));
const demo = path.join(root, 'demo');
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('frec init, apply, plan (the README quick start)', () => {
  beforeAll(async () => {
    const init = await frec(['--json', 'init', 'demo'], { cwd: root });
    expect(init.code, init.stderr).toBe(0);
    expect(JSON.parse(init.stdout)).toEqual({ created: demo, project: 'demo' });
  });

  it('applies the scaffolded repo, after which plan shows no changes', async () => {
    const apply = await frec(['apply'], { cwd: demo });
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stdout).toMatch(/\+ featureViews driver_hourly_stats/);
    expect(apply.stdout).toMatch(/Applied\. Registry generation 1\./);
    const plan = await frec(['plan'], { cwd: demo });
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/^No changes\. 6 object\(s\) up to date \(registry generation 1\)\./);
  });

  it('lists what was applied, as text and as --json, from another folder with -c', async () => {
    const [ents, views, services, describeView, dump] = await Promise.all([
      frec(['-c', demo, '--json', 'entities', 'list'], { cwd: root }),
      frec(['--chdir', demo, 'feature-views', 'list'], { cwd: root }),
      frec(['-c', demo, 'feature-services', 'list', '--json'], { cwd: root }),
      frec(['-c', demo, '--json', 'feature-views', 'describe', 'driver_hourly_stats'], { cwd: root }),
      frec(['-c', demo, 'registry-dump'], { cwd: root }),
    ]);
    expect(JSON.parse(ents.stdout)).toEqual([expect.objectContaining({ name: 'driver', joinKey: 'driver_id', valueType: 'int64' })]);
    expect(views.stdout).toMatch(/driver_hourly_stats\s+batch\s+driver\s+3\s+1d\s+true/);
    expect(views.stdout).toMatch(/transformed_conv_rate\s+on_demand/);
    expect(JSON.parse(services.stdout)).toEqual([
      { name: 'driver_activity_v1', features: 4, views: ['driver_hourly_stats', 'transformed_conv_rate'] },
    ]);
    expect(JSON.parse(describeView.stdout).spec.features.map((f: { name: string }) => f.name)).toEqual([
      'conv_rate',
      'acc_rate',
      'avg_daily_trips',
    ]);
    expect(JSON.parse(dump.stdout)).toMatchObject({ schemaVersion: 1, project: 'demo', generation: 1 });
  });

  it('flags a served feature type change as breaking; --fail-on-breaking exits 3', async () => {
    const file = path.join(demo, 'features.ts');
    const before = readFileSync(file, 'utf8');
    writeFileSync(file, before.replace("field('avg_daily_trips', Int64)", "field('avg_daily_trips', Float64)"));
    try {
      const plan = await frec(['plan', '--fail-on-breaking'], { cwd: demo });
      expect(plan.code).toBe(3);
      expect(plan.stdout).toMatch(/~ featureViews driver_hourly_stats {2}\[BREAKING\]/);
      expect(plan.stdout).toMatch(/! breaking: type of served feature 'avg_daily_trips' changes from int64 to float64/);
    } finally {
      writeFileSync(file, before);
    }
  });

  it('apply checks the Parquet schema: a type the file cannot hold is refused and nothing is written', async () => {
    const file = path.join(demo, 'features.ts');
    const before = readFileSync(file, 'utf8');
    const registry = path.join(demo, 'data', 'registry.json');
    const registryBefore = readFileSync(registry, 'utf8');
    writeFileSync(
      file,
      before
        .replace("field('avg_daily_trips', Int64)", "field('avg_daily_trips', String)")
        .replace('Int64, Float32, Float64,', 'Int64, Float32, Float64, String,'),
    );
    try {
      const r = await frec(['apply'], { cwd: demo });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/SOURCE_SCHEMA_MISMATCH/);
      expect(r.stderr).toContain(path.join(demo, 'data', 'driver_stats.parquet'));
      expect(r.stderr).toMatch(/avg_daily_trips/);
      expect(readFileSync(registry, 'utf8')).toBe(registryBefore);
    } finally {
      writeFileSync(file, before);
    }
  });

  it('explains an unknown feature view with the closest name and exits 1', async () => {
    const text = await frec(['feature-views', 'describe', 'driver_hourly_stat'], { cwd: demo });
    expect(text.code).toBe(1);
    expect(text.stderr).toMatch(
      /error \[UNKNOWN_FEATURE_VIEW\]: Feature view 'driver_hourly_stat' is not applied\. Did you mean 'driver_hourly_stats'\?/,
    );
  });

  it('teardown removes the registry (and reports it with --json); plan then starts from nothing', async () => {
    const r = await frec(['--json', 'teardown'], { cwd: demo });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ tornDown: true, project: 'demo' });
    expect(existsSync(path.join(demo, 'data', 'registry.json'))).toBe(false);
  });
});
