import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '@frec/core/spi';
import { FeatureLogger, queryParquet } from '@frec/monitoring';
import { frec as runFrec } from './run-frec.js';

const root = mkdtempSync(path.join(tmpdir(), 'frec-cli-monitor-'));
const repo = path.join(root, 'demo');
const frec = (args: string[]) => runFrec(args, { cwd: root });
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('frec monitor skew (real CLI, scaffolded repo)', () => {
  beforeAll(async () => {
    expect((await frec(['init', 'demo'])).code).toBe(0);
    expect((await frec(['-c', repo, 'apply'])).code).toBe(0);
    // Served values of one day: conv_rate shifted up against the offline source, acc_rate as in it.
    const src = await queryParquet(`SELECT conv_rate, acc_rate FROM read_parquet('${path.join(repo, 'data/driver_stats.parquet')}')`);
    const rand = seededRandom(4);
    const log = new FeatureLogger({
      dir: path.join(repo, 'data/monitoring/feature-log'),
      sampleRate: 1,
      writer: 'test',
      flushIntervalMs: 0,
    });
    for (let i = 0; i < 400; i++) {
      const r = src[Math.floor(rand() * src.length)]!;
      log.logRow({
        requestId: `r${i}`,
        servedAt: new Date('2026-12-01T08:00:00Z'),
        service: 'driver_activity_v1',
        entityKey: `driver_id=${1001 + (i % 5)}`,
        values: {
          'driver_hourly_stats:conv_rate': Number(r.conv_rate) + 0.5,
          'driver_hourly_stats:acc_rate': i % 20 === 0 ? null : Number(r.acc_rate),
        },
      });
    }
    await log.close();
  }, 120_000);

  it('writes the day report against the offline source, flags the shifted feature and exits 3', async () => {
    const r = await frec(['-c', repo, '--json', 'monitor', 'skew', '--date', '2026-12-01']);
    expect(r.code, r.stderr).toBe(3);
    const report = JSON.parse(r.stdout);
    expect(report.reference).toMatchObject({ kind: 'offline_source' });
    const by = Object.fromEntries(report.features.map((f: { feature: string }) => [f.feature, f]));
    expect(by['driver_hourly_stats:conv_rate']).toMatchObject({ type: 'numeric', flagged: true });
    expect(by['driver_hourly_stats:conv_rate'].outOfRange).toBeGreaterThan(0.3);
    expect(by['driver_hourly_stats:acc_rate']).toMatchObject({ flagged: false, nullShare: { served: 0.05 } });
    const file = path.join(repo, 'data/monitoring/skew/2026-12-01.json');
    expect(report.file).toBe(file);
    expect(JSON.parse(readFileSync(file, 'utf8')).features).toEqual(report.features);
    const text = await frec(['-c', repo, 'monitor', 'skew', '--date', '2026-12-01', '--threshold', '100']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Skew report 2026-12-01: 2 features, 0 flagged \(PSI > 100\)/);
    expect(text.stdout).toMatch(/^FEATURE\s+TYPE\s+PSI\s+FLAGGED/m);
  });

  it('a day with no log rows and a bad date are clear errors with exit 1', async () => {
    const empty = await frec(['-c', repo, '--json', 'monitor', 'skew', '--date', '2026-12-05']);
    expect(empty.code).toBe(1);
    expect(JSON.parse(empty.stderr).error).toMatchObject({
      code: 'MONITORING_LOG_EMPTY',
      hint: expect.stringContaining('feature_logging'),
    });
    const bad = await frec(['-c', repo, 'monitor', 'skew', '--date', 'yesterday']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("--date 'yesterday' is not a date");
  });
});
