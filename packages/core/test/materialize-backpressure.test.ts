import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OnlineColumnarWrite, OnlineStore } from '../src/spi.js';
import { MATERIALIZE_BATCH_ROWS, MATERIALIZE_WRITES_IN_FLIGHT } from '../src/materialize/materialize.js';
import { BASE, DAY, testRepo, type TestRepo } from './materialize-fixture.js';

// Peak memory of a materialization is what waits on the online store: the pipeline's defaults must bound it in rows, whatever the view's size.
describe('materialize backpressure', () => {
  let repo: TestRepo;
  beforeAll(async () => {
    repo = await testRepo();
    await repo.writeUsers('many', 12_000, 1);
  });
  afterAll(async () => {
    await repo?.dispose();
  });

  it('never has more than 2,000 rows per write nor 16,000 rows waiting on the online store, by default', async () => {
    expect(MATERIALIZE_BATCH_ROWS * MATERIALIZE_WRITES_IN_FLIGHT).toBe(16_000);
    const online: OnlineStore = await repo.store.onlineStore();
    const real = online.writeColumns!.bind(online);
    let waiting = 0;
    let maxWaiting = 0;
    let maxBatch = 0;
    let writes = 0;
    // The real Redis store still writes every row; the wrapper only counts rows between a write's start and its end.
    online.writeColumns = async (project: string, view, batch: OnlineColumnarWrite) => {
      const n = batch.keys.length;
      writes++;
      waiting += n;
      maxWaiting = Math.max(maxWaiting, waiting);
      maxBatch = Math.max(maxBatch, n);
      try {
        return await real(project, view, batch);
      } finally {
        waiting -= n;
      }
    };
    try {
      const res = await repo.store.materialize(new Date(BASE), new Date(BASE + 10 * DAY), { views: ['user_stats'], force: true });
      expect(res.views[0]).toMatchObject({ rows: 12_000, written: 12_000 });
      expect(writes).toBeGreaterThanOrEqual(6);
      expect(maxBatch).toBeLessThanOrEqual(2_000);
      expect(maxWaiting).toBeLessThanOrEqual(16_000);
      expect(waiting).toBe(0);
      const r = await repo.store.getOnlineFeatures({ features: ['user_stats:n'], entityRows: [{ user_id: 11_999 }] });
      expect(r.toRows()).toEqual([{ user_id: 11_999, n: 119_990 }]);
    } finally {
      online.writeColumns = real;
    }
  });
});
