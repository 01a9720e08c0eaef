import { describe, expect, it } from 'vitest';
import type { RankBatch, Ranker } from '@frec/model-serving/ranking';
import { BlendedRanker } from '../src/serve/blended-ranker.js';

/** A ranker whose scores are fixed per row, to check the blend arithmetic alone. */
class FixedRanker implements Ranker {
  readonly kind = 'fixed';
  readonly version = 'fixed@1';
  calls = 0;
  constructor(private readonly p: number[]) {}
  async score(): Promise<Float32Array> {
    this.calls++;
    return Float32Array.from(this.p);
  }
  async close(): Promise<void> {}
}

function batch(tower: number[], d = 3): RankBatch {
  const x = new Float32Array(tower.length * d);
  tower.forEach((t, i) => (x[i * d + d - 1] = t));
  return { size: tower.length, inputs: { features: { data: x, dims: [tower.length, d] } } };
}

const order = (s: Float32Array): number[] => [...s.keys()].sort((a, b) => s[b]! - s[a]!);

describe('BlendedRanker', () => {
  const probs = [0.9, 0.5, 0.1, 0.7];
  const tower = [0.1, 0.9, 0.5, 0.3];

  it('with weight 1 orders by the ranker, with weight 0 by the two-tower score', async () => {
    expect(order(await new BlendedRanker(new FixedRanker(probs), 1).score(batch(tower)))).toEqual([0, 3, 1, 2]);
    expect(order(await new BlendedRanker(new FixedRanker(probs), 0).score(batch(tower)))).toEqual([1, 2, 3, 0]);
  });

  it('at weight 0 orders by the two-tower score without running the ranker', async () => {
    const inner = new FixedRanker(probs);
    const zero = new BlendedRanker(inner, 0);
    expect(zero.runsModel).toBe(false);
    expect(order(await zero.score(batch(tower)))).toEqual([1, 2, 3, 0]);
    expect(inner.calls).toBe(0);
    const some = new BlendedRanker(inner, 0.2);
    await some.score(batch(tower));
    expect([some.runsModel, inner.calls]).toEqual([true, 1]);
  });

  it('blends z-scores as the pipeline evaluated them', async () => {
    const s = await new BlendedRanker(new FixedRanker(probs), 0.5).score(batch(tower));
    const z = (v: number[]): number[] => {
      const m = v.reduce((a, b) => a + b, 0) / v.length;
      const sd = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
      return v.map((x) => (x - m) / sd);
    };
    const zl = z(probs.map((p) => Math.log(p / (1 - p))));
    const zt = z(tower.map((t) => Math.fround(t)));
    s.forEach((v, i) => expect(v).toBeCloseTo(0.5 * zl[i]! + 0.5 * zt[i]!, 4));
  });

  it('keeps a non-finite ranker score non-finite and the others finite', async () => {
    const s = await new BlendedRanker(new FixedRanker([0.9, Number.NaN, 0.1, 0.7]), 0.5).score(batch(tower));
    expect(Number.isNaN(s[1]!)).toBe(true);
    expect([s[0], s[2], s[3]].every((v) => Number.isFinite(v!))).toBe(true);
  });
});
