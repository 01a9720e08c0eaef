import { type EntityKeyValues } from '@frec/core/spi';

// A unit separator joins composite keys; escaping it (and the escape) keeps distinct keys distinct.
const SEP = '\u001f';
// eslint-disable-next-line no-control-regex -- the separator is a control character on purpose
const NEEDS_ESCAPE = /[\u001f\\]/;

function part(v: string | number): string {
  if (typeof v === 'number') return String(v);
  return NEEDS_ESCAPE.test(v) ? v.replace(/\\/g, '\\\\').replaceAll(SEP, '\\u') : v;
}

/** The string form of an entity key inside a store key: `1001`, `abc`, or `u1\u001fi7` for two join keys. */
export function entityKeyString(key: EntityKeyValues): string {
  if (key.length === 1) return part(key[0]!);
  let s = '';
  for (let i = 0; i < key.length; i++) s += (i ? SEP : '') + part(key[i]!);
  return s;
}
