import { describe, expect, it } from 'vitest';
import { decideTuning, fixedTuningSteps, type TuningRecord } from '../../src/daily/index.js';

const record: TuningRecord = {
  tunedOn: '2018-09-10',
  featureSchema: 'abc',
  values: { recentWeight: 1, recentDecay: 0.25, popularityWeight: 0.5, coOccurrenceWeight: 0.4, blendWeight: 0.7 },
};

describe("the daily job's tuning schedule", () => {
  it('reuses production values within the schedule, and says since when', () => {
    const d = decideTuning(record, '2018-09-16', 'abc', 7);
    expect(d).toMatchObject({ retune: false, reuse: record });
    expect(d.why).toBe('reusing the values tuned on 2018-09-10 (6 days ago; re-tuning every 7)');
  });

  it('re-tunes on schedule, without a record, after a feature schema change, and when the record is from a later day', () => {
    expect(decideTuning(record, '2018-09-17', 'abc', 7)).toMatchObject({
      retune: true,
      why: expect.stringMatching(/7 days ago \(every 7\)/),
    });
    expect(decideTuning(undefined, '2018-09-11', 'abc', 7)).toMatchObject({ retune: true, why: expect.stringMatching(/no tuning record/) });
    expect(decideTuning(record, '2018-09-11', 'xyz', 7)).toMatchObject({
      retune: true,
      why: expect.stringMatching(/feature schema changed/),
    });
    expect(decideTuning(record, '2018-09-09', 'abc', 7)).toMatchObject({ retune: true });
    // Every 1: every day searches.
    expect(decideTuning(record, '2018-09-11', 'abc', 1).retune).toBe(true);
  });

  it('turns a record into settings that make tune-query and tune-blend use it', () => {
    expect(fixedTuningSteps(record.values)).toEqual({
      tuneQuery: { fixed: { history: { weight: 1, decay: 0.25 }, popularityWeight: 0.5, coOccurrenceWeight: 0.4 } },
      tuneBlend: { fixed: 0.7 },
    });
  });
});
