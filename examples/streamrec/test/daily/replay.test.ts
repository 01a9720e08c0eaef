import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runReplay } from '../../src/daily/replay.js';
import { dailySource, TEST_STEPS } from './daily-fixture.js';

const root = mkdtempSync(path.join(tmpdir(), 'streamrec-replay-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the replay experiment', () => {
  it('replays days through the daily job and scores next-day requests for every policy and baseline', async () => {
    const r = await runReplay({
      inputDir: dailySource(path.join(root, 'source')),
      outDir: path.join(root, 'out'),
      repoTemplate: fileURLToPath(new URL('../../feature_repo', import.meta.url)),
      days: 3,
      sampleUsers: 4,
      steps: TEST_STEPS,
      // Canary decisions by errors, not by this machine's load.
      serving: { latencyScale: 50 },
      log: () => {},
    });
    expect(r.days).toEqual(['2018-09-20', '2018-09-22', '2018-09-23']);
    expect(r.dayOutcomes.map((d) => d.day)).toEqual(r.days);
    expect(r.rows.map((x) => x.system)).toEqual(['daily', 'weekly', 'never', 'popularity_recent', 'popularity_all_time']);
    expect(r.cases).toBeGreaterThan(0);
    for (const x of r.rows) {
      expect(x.ndcg20).toBeGreaterThanOrEqual(0);
      expect(x.ndcg20).toBeLessThanOrEqual(1);
    }
    // Three days, one weekly boundary: weekly and never serve the first day's model throughout.
    expect(r.rows[1]).toEqual({ ...r.rows[2], system: 'weekly' });
    // Each day that trained ends in one decision: promoted (the first day, or its canary), refused by the gate, rolled back or left running by its canary.
    expect(r.loop.promotions + r.loop.refusals + r.loop.rollbacks + r.loop.unsettled).toBe(
      r.dayOutcomes.filter((d) => d.outcome === 'promoted' || d.outcome === 'refused' || d.outcome === 'canary').length,
    );
    expect(r.loop.canaries).toBe(r.dayOutcomes.filter((d) => d.outcome === 'canary').length);
    for (const c of r.comparisons) expect(c.lo).toBeLessThanOrEqual(c.hi);
    expect(r.markdown).toContain('| system | next-day NDCG@20 | next-day Recall@20 |');
    expect(r.coverage.length).toBeGreaterThan(0);
    // Cold start: users left out of the replayed source, after 1, 3 and 5 ratings, against both popularity baselines.
    expect([...new Set(r.coldStart.map((c) => c.k))]).toEqual([1, 3, 5]);
    expect(r.coldStart.filter((c) => c.k === 1).map((c) => c.system)).toEqual(['daily', 'popularity_recent', 'popularity_all_time']);
    for (const c of r.coldStart) expect(c.users).toBeGreaterThan(0);
    expect(r.session.rows.map((x) => x.system)).toEqual(['batch', 'streamed', 'popularity_recent', 'popularity_all_time']);
    expect(r.session.diff.lo).toBeLessThanOrEqual(r.session.diff.hi);
    expect(r.markdown).toContain('| k | users | system | NDCG@20 | Recall@20 |');
    // Events streamed through the broker: the stream worker and the event log took every one, and each day's slice holds them all.
    expect(r.stream.map((s) => s.day)).toEqual(r.days);
    for (const s of r.stream) {
      expect(s.published, s.day).toBeGreaterThan(0);
      expect(s.workerApplied, s.day).toBe(s.published);
      expect(s.appended, s.day).toBe(s.published);
      expect(s.sliceEvents, s.day).toBe(s.sourceEvents);
      expect(s.sliceEventsOnDay, s.day).toBeGreaterThan(0);
    }
    // Each event once: everything up to the last day's end, plus the session prefixes of the day after it.
    expect(r.stream.reduce((n, s) => n + s.published, 0)).toBe(r.stream.at(-1)!.sourceEvents + r.stream.at(-1)!.sessionPublished);
    expect(r.stream.reduce((n, s) => n + s.sessionPublished, 0)).toBeGreaterThan(0);
    expect(r.dayOutcomes.reduce((n, d) => n + d.promotions, 0)).toBe(r.loop.promotions);
    // Intervals beside the cold-start table, and coverage with its request counts.
    expect(r.coldStartDiffs.map((c) => `${c.k}:${c.b}`)).toEqual(
      [1, 3, 5].flatMap((k) => [`${k}:popularity_recent`, `${k}:popularity_all_time`]),
    );
    for (const c of r.coldStartDiffs) expect(c.lo).toBeLessThanOrEqual(c.hi);
    expect(r.coverage.reduce((n, c) => n + c.requests, 0)).toBe(r.cases);
    for (const c of r.coverage) expect(c.items.daily).toBeLessThanOrEqual(c.requests * 20);
  }, 900_000);
});
