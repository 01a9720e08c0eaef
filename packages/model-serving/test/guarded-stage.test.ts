import { describe, expect, it } from 'vitest';
import { DEGRADATION_LEVELS, DegradationLevel, GuardedStage, worseLevel } from '../src/resilience/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('GuardedStage', () => {
  it('times out at the budget, opens the breaker after repeated failures, and closes after a good trial call', async () => {
    const stage = new GuardedStage('dep', { timeoutMs: 30, failuresToOpen: 2, halfOpenAfterMs: 100 });
    const t0 = performance.now();
    const slow = await stage.run(() => new Promise<number>(() => {}));
    expect(slow).toMatchObject({ ok: false, reason: 'timeout' });
    expect(performance.now() - t0).toBeLessThan(250);
    expect((await stage.run(() => Promise.reject(new Error('down')))) as unknown).toMatchObject({ ok: false, reason: 'error' });
    expect(stage.state).toBe('open');
    const t1 = performance.now();
    expect(await stage.run(async () => 1)).toMatchObject({ ok: false, reason: 'circuit_open' });
    expect(performance.now() - t1).toBeLessThan(50);
    await sleep(120);
    expect(await stage.run(async () => 2)).toEqual({ ok: true, value: 2 });
    expect(stage.state).toBe('closed');
  });
});

describe('degradation levels', () => {
  it('orders the levels best first and worseLevel keeps the worse of two', () => {
    expect(DEGRADATION_LEVELS).toEqual(['FULL', 'STALE_FEATURES', 'SIMPLE_RANKING', 'POPULAR']);
    expect(worseLevel(DegradationLevel.FULL, DegradationLevel.SIMPLE_RANKING)).toBe('SIMPLE_RANKING');
    expect(worseLevel(DegradationLevel.POPULAR, DegradationLevel.STALE_FEATURES)).toBe('POPULAR');
    expect(worseLevel(DegradationLevel.STALE_FEATURES, DegradationLevel.STALE_FEATURES)).toBe('STALE_FEATURES');
  });
});
