import { describe, expect, test } from 'vitest';
import { KeyInterner } from '../../src/online/key-interner.js';

// Reference: first occurrence order of distinct values.
function reference(col: Array<string | number>) {
  const keys: Array<string | number> = [];
  const rowToKey = col.map((v) => {
    let u = keys.indexOf(v);
    if (u < 0) u = keys.push(v) - 1;
    return u;
  });
  return { keys, rowToKey };
}

describe('KeyInterner', () => {
  test('matches a reference dedup over many requests, with repeats and a growing key set', () => {
    const k = new KeyInterner();
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let req = 0; req < 200; req++) {
      const n = 1 + (next() % 300);
      const col = Array.from({ length: n }, () => (next() % 2 ? `k${next() % 3000}` : next() % 3000));
      const got = k.distinct(col, n);
      const want = reference(col);
      expect(got.keys.map((t) => t[0])).toEqual(want.keys);
      expect(Array.from(got.rowToKey)).toEqual(want.rowToKey);
    }
  });

  test('1 and "1" stay distinct keys; tuples are reused across requests', () => {
    const k = new KeyInterner();
    const a = k.distinct([1, '1', 1], 3);
    expect(a.keys).toEqual([[1], ['1']]);
    expect(Array.from(a.rowToKey)).toEqual([0, 1, 0]);
    const b = k.distinct(['1'], 1);
    expect(b.keys[0]).toBe(a.keys[1]);
  });

  test('starts over past its size bound and stays correct', () => {
    const k = new KeyInterner();
    for (let base = 0; base < 130_000; base += 10_000) {
      const col = Array.from({ length: 10_000 }, (_, i) => base + i);
      const got = k.distinct([...col, base], 10_001);
      expect(got.keys.length).toBe(10_000);
      expect(got.rowToKey[10_000]).toBe(0);
      expect(got.keys[9_999]).toEqual([base + 9_999]);
    }
  });
});
