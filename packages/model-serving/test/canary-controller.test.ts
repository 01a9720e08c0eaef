import { describe, expect, it } from 'vitest';
import { CanaryController, stableShare, type CanaryEvent } from '../src/canary/index.js';

const users = Array.from({ length: 4000 }, (_, i) => `user-${i}`);

describe('canary routing by a stable hash of the user id', () => {
  it('routes about the configured share, the same users every time, and only adds users as the share grows', () => {
    const at = (share: number, salt: string) => new Set(users.filter((u) => stableShare(u, salt) < share));
    const five = at(0.05, 'ranker@7');
    const quarter = at(0.25, 'ranker@7');
    expect(five.size / users.length).toBeGreaterThan(0.035);
    expect(five.size / users.length).toBeLessThan(0.065);
    expect(quarter.size / users.length).toBeGreaterThan(0.22);
    expect(quarter.size / users.length).toBeLessThan(0.28);
    for (const u of five) expect(quarter.has(u)).toBe(true);
    expect(stableShare('user-1', 'ranker@7')).toBe(stableShare('user-1', 'ranker@7'));
    // Another candidate picks other users.
    const other = at(0.05, 'ranker@8');
    const both = [...five].filter((u) => other.has(u)).length;
    expect(both).toBeLessThan(five.size / 2);
  });
});

describe('CanaryController', () => {
  const run = (c: CanaryController, n: number, outcome: (i: number) => { ok: boolean; ms: number }) => {
    for (let i = 0; i < n; i++) c.record('candidate', outcome(i));
  };

  it('steps 5% -> 25% -> 100% after enough requests within budget, then promotes; production requests never count', async () => {
    const events: CanaryEvent[] = [];
    const c = new CanaryController({
      model: 'ranker',
      candidate: 'ranker@2',
      requestsPerStep: 30,
      budgets: { p95Ms: 50 },
      onEvent: (e) => void events.push(e),
    });
    expect(c.share).toBe(0.05);
    for (let i = 0; i < 100; i++) c.record('production', { ok: false, ms: 900 });
    expect(c.snapshot()).toMatchObject({ step: 1, requests: 0, status: 'running' });
    run(c, 29, () => ({ ok: true, ms: 10 }));
    expect(c.share).toBe(0.05);
    run(c, 1, () => ({ ok: true, ms: 10 }));
    expect(c.share).toBe(0.25);
    run(c, 30, () => ({ ok: true, ms: 12 }));
    expect(c.share).toBe(1);
    expect(c.arm('anyone')).toBe('candidate');
    run(c, 30, () => ({ ok: true, ms: 12 }));
    await c.settled();
    expect(events.map((e) => [e.kind, e.share])).toEqual([
      ['step', 0.25],
      ['step', 1],
      ['promoted', 1],
    ]);
    expect(events[0]!.reason).toBe('step 2/3: 25% of users after 30 requests at 5% within budget (0 errors, p95 10.0 ms)');
    expect(c.snapshot().status).toBe('promoted');
  });

  it('rolls back when the error rate breaches the budget, and sends everyone to production', async () => {
    const events: CanaryEvent[] = [];
    const c = new CanaryController({
      model: 'ranker',
      candidate: 'ranker@3',
      requestsPerStep: 200,
      minRequestsToJudge: 10,
      budgets: { p95Ms: 50, errorRate: 0.01 },
      onEvent: (e) => void events.push(e),
    });
    run(c, 2, () => ({ ok: false, ms: 1 }));
    expect(c.snapshot().status).toBe('running');
    // A third error spends the step's allowance of floor(1% x 200) = 2.
    run(c, 1, () => ({ ok: false, ms: 1 }));
    await c.settled();
    expect(c.share).toBe(0);
    expect(users.slice(0, 200).every((u) => c.arm(u) === 'production')).toBe(true);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'rolled_back', share: 0 });
    expect(events[0]!.reason).toBe('error rate 100% (3 of 3 requests) over the 1% budget at 5%');
    run(c, 50, () => ({ ok: true, ms: 1 }));
    expect(c.snapshot()).toMatchObject({ status: 'rolled_back', requests: 3 });
  });

  it('rolls back on p95 over budget once enough requests were seen, not before', async () => {
    const events: CanaryEvent[] = [];
    const c = new CanaryController({
      model: 'ranker',
      candidate: 'ranker@4',
      minRequestsToJudge: 10,
      budgets: { p95Ms: 100 },
      onEvent: (e) => void events.push(e),
    });
    run(c, 9, () => ({ ok: true, ms: 300 }));
    expect(c.snapshot().status).toBe('running');
    run(c, 1, () => ({ ok: true, ms: 300 }));
    await c.settled();
    expect(events[0]!.reason).toBe('p95 300.0 ms over the 100 ms budget at 5% (10 requests)');
  });

  it('refuses steps that are not increasing shares in (0, 1]', () => {
    expect(() => new CanaryController({ model: 'm', candidate: 'c', steps: [0.5, 0.25], budgets: { p95Ms: 1 } })).toThrow(
      /increasing shares/,
    );
    expect(() => new CanaryController({ model: 'm', candidate: 'c', steps: [0, 1], budgets: { p95Ms: 1 } })).toThrow(/increasing shares/);
  });
});
