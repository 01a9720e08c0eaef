import { describe, expect, it } from 'vitest';
import { OnlineFeaturesResponse } from '@frec/core';
import { feastResponseJson, toFeastResponse } from '../src/feast-response.js';

describe('feastResponseJson', () => {
  it('writes shared status and time arrays once per column they belong to, never a neighbour’s', () => {
    const present = ['PRESENT', 'PRESENT'] as const;
    const withNull = ['PRESENT', 'NULL_VALUE'] as const;
    const viewTimes = new Float64Array([Date.UTC(2026, 0, 2, 3, 4, 5), Date.UTC(2026, 0, 2, 3, 4, 5, 250)]);
    const otherTimes = new Float64Array([0, Date.UTC(2025, 5, 1)]);
    const zeros = new Float64Array(2);
    const res = new OnlineFeaturesResponse(
      ['id', 'a', 'b', 'c', 'd'],
      [
        [1, 2],
        [1, 2.5],
        [3, null],
        ['x', 'y'],
        [4, 5],
      ],
      [[...present], [...present], [...withNull], [...present], [...present]],
      [zeros, viewTimes, viewTimes, otherTimes, viewTimes],
      [],
    );
    // Shared arrays as getOnlineFeatures hands them out: columns of one view share one of each.
    res.statuses[1] = res.statuses[0]!;
    res.statuses[3] = res.statuses[0]!;
    const body = JSON.parse(feastResponseJson(res, ['int64', 'float64', 'float32', 'string', 'int64'])) as ReturnType<
      typeof toFeastResponse
    >;
    expect(body).toEqual(toFeastResponse(res));
    expect(body.results[2]!.statuses).toEqual(['PRESENT', 'NULL_VALUE']);
    expect(body.results[3]!.event_timestamps).toEqual(['1970-01-01T00:00:00Z', '2025-06-01T00:00:00Z']);
    expect(body.results[4]!.event_timestamps).toEqual(['2026-01-02T03:04:05Z', '2026-01-02T03:04:05.250Z']);
  });

  it('keeps whole-number floats as floats and int64 past 2^53 exact', () => {
    const t = new Float64Array([Date.UTC(2026, 0, 1)]);
    const res = new OnlineFeaturesResponse(
      ['id', 'f', 'g'],
      [['9007199254740993'], [1], [2]],
      [['PRESENT'], ['PRESENT'], ['PRESENT']],
      [t, t, t],
      [],
    );
    expect(feastResponseJson(res, ['int64', 'float64', 'int64'])).toBe(
      '{"metadata":{"feature_names":["id","f","g"]},"results":[{"values":[9007199254740993],"statuses":["PRESENT"],"event_timestamps":["2026-01-01T00:00:00Z"]},' +
        '{"values":[1.0],"statuses":["PRESENT"],"event_timestamps":["2026-01-01T00:00:00Z"]},{"values":[2],"statuses":["PRESENT"],"event_timestamps":["2026-01-01T00:00:00Z"]}]}',
    );
  });
});
