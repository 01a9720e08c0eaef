import { describe, expect, it } from 'vitest';
import { entity, featureView, fileSource, field, Float32, Int64, DefinitionError } from '../src/index.js';
import { parseDuration } from '../src/spi.js';

const user = entity({ name: 'user', joinKey: 'user_id', valueType: Int64 });
const src = fileSource({ name: 'src', path: 'data/x.parquet', timestampField: 'ts' });

describe('definitions', () => {
  it('builds a feature view spec with ttl and entity columns', () => {
    const fv = featureView({
      name: 'stats',
      entities: [user],
      source: src,
      ttl: '2d',
      schema: [field('a', Float32), field('user_id', Int64)],
    });
    expect(fv.spec.ttlSeconds).toBe(172800);
    expect(fv.spec.entityColumns).toEqual([{ name: 'user_id', dtype: 'int64', description: '', tags: {} }]);
    expect(fv.spec.features.map((f) => f.name)).toEqual(['a']);
  });

  it('rejects a negative ttl with the view name', () => {
    expect(() => featureView({ name: 'bad', entities: [user], source: src, ttl: -5, schema: [field('a', Float32)] })).toThrow(
      /bad.*invalid ttl/,
    );
  });

  it('rejects an invalid name', () => {
    expect(() => entity({ name: '1user' })).toThrow(DefinitionError);
  });

  it('select of an unknown feature lists the closest names', () => {
    const fv = featureView({ name: 'stats2', entities: [user], source: src, schema: [field('mean_rating', Float32)] });
    // @ts-expect-error 'mean_ratin' is not a feature of the view: a compile error
    expect(() => fv.select(['mean_ratin'])).toThrow(/Did you mean 'mean_rating'/);
  });

  it('parses durations', () => {
    expect(parseDuration('1d12h')).toBe(129600);
    expect(parseDuration('90s')).toBe(90);
    expect(Number.isNaN(parseDuration('abc'))).toBe(true);
  });
});
