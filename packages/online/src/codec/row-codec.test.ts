import { describe, expect, test } from 'vitest';
import type { FeatureValue, FeatureViewSpec, ValueType } from '@frec/core';
import { ColumnReader } from './column-reader.js';
import { entityKeyString } from './entity-key.js';
import { decodePlanOf, decodeRowInto, encodeRow, featureSetId, rowSchemaOf } from './row-codec.js';

const FIELDS: Array<{ name: string; dtype: ValueType }> = [
  { name: 'i32', dtype: 'int32' },
  { name: 'i64', dtype: 'int64' },
  { name: 'f32', dtype: 'float32' },
  { name: 'f64', dtype: 'float64' },
  { name: 'b', dtype: 'bool' },
  { name: 's', dtype: 'string' },
  { name: 'by', dtype: 'bytes' },
  { name: 'ts', dtype: 'unix_timestamp' },
  { name: 'emb', dtype: 'float32[]' },
  { name: 'tags', dtype: 'string[]' },
  { name: 'ids', dtype: 'int64[]' },
];
const schema = rowSchemaOf(FIELDS);
const names = FIELDS.map((f) => f.name);

function view(fields = FIELDS): FeatureViewSpec {
  return { name: 'v', features: fields.map((f) => ({ ...f, description: '', tags: {} })) } as unknown as FeatureViewSpec;
}

function decodeOne(b: Buffer, s = schema, features = names): { values: FeatureValue[]; event: number; created: number } {
  const cols = features.map(() => new Array<FeatureValue>(1).fill(null));
  const ev = new Float64Array(1);
  const cr = new Float64Array(1);
  decodeRowInto(b, s, decodePlanOf(s, features), cols, 0, ev, cr);
  return { values: cols.map((c) => c[0]!), event: ev[0]!, created: cr[0]! };
}

describe('row codec', () => {
  test('round-trips every type, nulls inside arrays, empty arrays and unicode', () => {
    const values: FeatureValue[] = [
      -2147483648,
      2 ** 53 - 1,
      0.5,
      Math.PI,
      true,
      'héllo ✓ 日本',
      new Uint8Array([0, 255, 7]),
      new Date(1_700_000_000_123),
      [1.5, null, -2],
      ['a', null, ''],
      [],
    ];
    const b = encodeRow(schema, values, 1000, 2000);
    const out = decodeOne(b);
    expect(out.values).toEqual(values);
    expect(out.event).toBe(1000);
    expect(out.created).toBe(2000);
    // DuckDB hands int64 columns over as bigint; the row stores them as numbers.
    const big = encodeRow(
      schema,
      [1, 12345678901n as unknown as FeatureValue, 0, 0, false, '', null, null, null, null, [3n as unknown as number]],
      1,
      1,
    );
    expect(decodeOne(big).values[1]).toBe(12345678901);
    expect(decodeOne(big).values[10]).toEqual([3]);
    const nulls = decodeOne(
      encodeRow(
        schema,
        FIELDS.map(() => null),
        1,
        1,
      ),
    );
    expect(nulls.values).toEqual(FIELDS.map(() => null));
  });

  test('decodes only what is asked, by column or by row, with the same result', async () => {
    const rows = [0, 1, 2].map((i) =>
      encodeRow(schema, [i, i, i + 0.5, i * 2, i % 2 === 0, `s${i}`, null, new Date(i), [i], [`t${i}`], [i, i]], 10 + i, 20 + i),
    );
    const reader = new ColumnReader();
    const read = await reader.decode(view(), [rows[0]!, null, rows[2]!], ['tags', 'f64', 's'], String, () => undefined);
    expect(read.values).toEqual([
      [['t0'], null, ['t2']],
      [0, null, 4],
      ['s0', null, 's2'],
    ]);
    expect(Array.from(read.eventTimeMs)).toEqual([10, Number.NaN, 12]);
    expect(decodeOne(rows[1]!, schema, ['f64', 's']).values).toEqual([2, 's1']);
    const withNull = encodeRow(schema, [7, null, null, null, null, null, null, null, null, null, null], 1, 1);
    const mixed = await reader.decode(view(), [rows[0]!, withNull, rows[1]!], ['f32', 'i32', 'f64', 'b', 'ts'], String, () => undefined);
    expect(mixed.values).toEqual([
      [0.5, null, 1.5],
      [0, 7, 1],
      [0, null, 2],
      [true, null, false],
      [new Date(0), null, new Date(1)],
    ]);
  });

  test('rows spread over several ArrayBuffers decode alike; null-free columns are reported; no promise without a schema fetch', () => {
    const numeric = FIELDS.filter((f) => ['int32', 'int64', 'float32', 'float64'].includes(f.dtype));
    const s = rowSchemaOf(numeric);
    const encoded = Array.from({ length: 7 }, (_, i) => encodeRow(s, [i, i * 1000, i + 0.25, i * Math.PI], 100 + i, 200 + i));
    encoded[3] = encodeRow(s, [3, null, 3.25, null], 103, 203);
    // As a socket reply hands them over: rows 0-3 inside one chunk, rows 4-6 inside another.
    const chunk = (bs: Buffer[]): Buffer[] => {
      const joined = Buffer.concat([Buffer.from('$144\r\n'), ...bs.flatMap((b) => [b, Buffer.from('\r\n')])]);
      // Its own ArrayBuffer (small Buffers would share Node's pool).
      const whole = Buffer.from(new Uint8Array(joined).buffer);
      let at = 6;
      return bs.map((b) => whole.subarray(at, (at += b.length + 2) - 2));
    };
    const rows = [...chunk(encoded.slice(0, 4)), ...chunk(encoded.slice(4))];
    expect(new Set(rows.map((b) => b.buffer)).size).toBe(2);
    const features = ['f64', 'i64', 'i32', 'f32'];
    const read = new ColumnReader().decode(view(numeric), rows, features, String, () => undefined);
    expect(read).not.toBeInstanceOf(Promise);
    const r = read as Exclude<typeof read, Promise<unknown>>;
    expect(r.values[0]).toEqual(encoded.map((_, i) => (i === 3 ? null : i * Math.PI)));
    expect(r.values[1]).toEqual(encoded.map((_, i) => (i === 3 ? null : i * 1000)));
    expect(r.values[2]).toEqual(encoded.map((_, i) => i));
    expect(r.values[3]).toEqual(encoded.map((_, i) => i + 0.25));
    expect(Array.from(r.eventTimeMs)).toEqual(encoded.map((_, i) => 100 + i));
    expect(Array.from(r.createdTimeMs)).toEqual(encoded.map((_, i) => 200 + i));
    expect(Array.from(r.nullable!)).toEqual([1, 1, 0, 0]);
    // An absent key makes every column nullable.
    const withAbsent = new ColumnReader().decode(view(numeric), [rows[0]!, null], features, String, () => undefined) as typeof r;
    expect(Array.from(withAbsent.nullable!)).toEqual([1, 1, 1, 1]);
  });

  test('every kind of damage is an error for that row only', async () => {
    const good = encodeRow(schema, [1, 2, 3, 4, true, 'x', new Uint8Array([1]), new Date(5), [1], ['y'], [2]], 1, 1);
    const damaged = [
      good.subarray(0, good.length - 1),
      Buffer.concat([good, Buffer.from([0])]),
      Buffer.from([9, ...good.subarray(1)]),
      Buffer.from([1, 2, 3]),
      (() => {
        const b = Buffer.from(good);
        b.writeUInt32LE(0xffff, b.length - 20);
        return b;
      })(),
    ];
    for (const b of damaged) expect(() => decodeOne(b)).toThrow();
    const reader = new ColumnReader();
    const read = await reader.decode(
      view(),
      [good, ...damaged],
      ['i64'],
      (k) => `key${k}`,
      () => undefined,
    );
    expect(read.values[0]![0]).toBe(2);
    expect(read.errors?.filter(Boolean)).toHaveLength(damaged.length);
    expect(read.errors?.[1]?.message).toContain("'key1'");
    const fixedOnly = rowSchemaOf([{ name: 'a', dtype: 'float64' }]);
    const fb = encodeRow(fixedOnly, [1], 1, 1);
    const r2 = await reader.decode(
      view([{ name: 'a', dtype: 'float64' }]),
      [fb, fb.subarray(0, fb.length - 1)],
      ['a'],
      String,
      () => undefined,
    );
    expect(r2.values[0]).toEqual([1, null]);
    expect(r2.errors?.[1]).toBeDefined();
  });

  test('rows of an older feature set stay readable after a feature is added', async () => {
    const before = [
      { name: 'a', dtype: 'float64' as const },
      { name: 's', dtype: 'string' as const },
    ];
    const after = [...before, { name: 'c', dtype: 'int64' as const }];
    const old = rowSchemaOf(before);
    expect(featureSetId(after)).not.toBe(old.id);
    const reader = new ColumnReader();
    const row = encodeRow(old, [1.5, 'x'], 3, 3);
    const read = await reader.decode(view(after), [row], ['c', 'a', 's'], String, (_v, id) => (id === old.id ? old : undefined));
    expect(read.values).toEqual([[null], [1.5], ['x']]);
    const unknown = await new ColumnReader().decode(view(after), [row], ['a'], String, () => undefined);
    expect(unknown.errors?.[0]?.message).toContain('feature set');
  });

  test('feature-set ids are stable and change with a name or a type', () => {
    expect(featureSetId([{ name: 'a', dtype: 'int64' }])).toBe(featureSetId([{ name: 'a', dtype: 'int64' }]));
    expect(featureSetId([{ name: 'a', dtype: 'int64' }])).not.toBe(featureSetId([{ name: 'a', dtype: 'int32' }]));
    expect(featureSetId([{ name: 'a', dtype: 'int64' }])).not.toBe(featureSetId([{ name: 'b', dtype: 'int64' }]));
  });

  test('entity key strings keep distinct composite keys distinct', () => {
    expect(entityKeyString([1001])).toBe('1001');
    expect(entityKeyString(['a\u001fb'])).not.toBe(entityKeyString(['a', 'b']));
    expect(entityKeyString(['a\\', 'b'])).not.toBe(entityKeyString(['a', '\\b']));
  });
});
