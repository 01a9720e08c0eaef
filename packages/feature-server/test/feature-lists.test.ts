import { describe, expect, it } from 'vitest';
import { FeatureLists } from '../src/feature-lists.js';

describe('FeatureLists', () => {
  it('hands back one frozen array per distinct list, never one with other names or order', () => {
    const lists = new FeatureLists(4);
    const a = lists.canonical(['v:a', 'v:b']);
    expect(lists.canonical(['v:a', 'v:b'])).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    const input = ['v:b', 'v:a'];
    const b = lists.canonical(input);
    expect(b).not.toBe(a);
    expect(b).toEqual(['v:b', 'v:a']);
    // The kept array is a copy: the request's own array changing later changes nothing.
    input[0] = 'v:c';
    expect(lists.canonical(['v:b', 'v:a'])).toBe(b);
    expect(lists.canonical(['v:a'])).toEqual(['v:a']);
    expect(lists.canonical(['v:a', 'v:b', 'v:a'])).toEqual(['v:a', 'v:b', 'v:a']);
  });

  it('keeps the last `size` lists; an evicted list gets a new array with the same names', () => {
    const lists = new FeatureLists(3);
    const kept = Array.from({ length: 5 }, (_, i) => lists.canonical([`v:f${i}`]));
    // f2, f3, f4 are kept; f0 and f1 were replaced.
    expect(lists.canonical(['v:f4'])).toBe(kept[4]);
    expect(lists.canonical(['v:f3'])).toBe(kept[3]);
    const again = lists.canonical(['v:f0']);
    expect(again).not.toBe(kept[0]);
    expect(again).toEqual(['v:f0']);
  });
});
