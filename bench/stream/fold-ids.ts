/**
 * The fold's replay check and ID memory in isolation (issue 24): events for entities whose
 * memory of applied IDs is full (RECENT_IDS), as in the stream bench at 500 users, folded with
 * wasApplied + applyEvent of this checkout and, when a second checkout is given, of that one,
 * alternating in one process. Prints µs of CPU per event for each.
 *
 *   npx tsx bench/stream/fold-ids.ts [events=200000] [users=500] [otherCheckoutRoot]
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';

type Mod = typeof import('../../packages/core/src/streaming/aggregate-state.js');
const N = Number(process.argv[2] ?? 200_000);
const USERS = Number(process.argv[3] ?? 500);
const other = process.argv[4];
const here = (await import('../../packages/core/src/streaming/aggregate-state.js')) as Mod;
const defs = await import('../../packages/core/src/index.js');
const mods: Array<[string, Mod]> = [['this checkout', here]];
if (other)
  mods.push([other, (await import(pathToFileURL(path.join(other, 'packages/core/src/streaming/aggregate-state.ts')).href)) as Mod]);

const user = defs.entity({ name: 'user', joinKey: 'user_id', valueType: 'int64' });
const view = defs.streamFeatureView({
  name: 'activity',
  entities: [user],
  source: defs.streamSource({
    name: 'events',
    topic: 'events',
    timestampField: 'ts',
    batchSource: defs.fileSource({ name: 'rows', path: 'data/x', timestampField: 'ts' }),
  }),
  ttl: '30d',
  aggregations: [defs.lastN('item_id', 10, { type: 'int64', name: 'last_10_items' }), defs.count({ window: '1h' })],
});

function run(m: Mod): number {
  const plan = m.planAggregations(view.spec);
  const states = Array.from({ length: USERS }, () => m.emptyState());
  const t0 = Date.UTC(2026, 0, 1);
  // Fill every memory first (not timed), then time N more events with increasing IDs.
  let n = 0;
  const fold = (count: number): void => {
    for (let i = 0; i < count; i++, n++) {
      const s = states[n % USERS]!;
      const id = `${1_764_000_000_000 + n}-${n % 3}`;
      if (m.wasApplied(s, id)) continue;
      m.applyEvent(plan, s, { timeMs: t0 + n, values: { item_id: n % 5000 } }, id);
    }
  };
  fold(USERS * (m.RECENT_IDS + 1));
  const c = process.cpuUsage();
  fold(N);
  const d = process.cpuUsage(c);
  return (d.user + d.system) / N;
}

const res = new Map<string, number[]>();
for (let round = 0; round < 5; round++)
  for (const [name, m] of mods) {
    const r = res.get(name) ?? [];
    r.push(run(m));
    res.set(name, r);
  }
for (const [name, r] of res) {
  const s = [...r].sort((a, b) => a - b);
  console.log(`${name}: µs CPU per event, median ${s[2]!.toFixed(2)} (${s.map((x) => x.toFixed(2)).join(' ')})`);
}
