import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { benchDefinitions, openBenchStore, seeded } from './bench-repo.js';
const defs = benchDefinitions();
const rand = seeded(1);
const featureNames = defs.itemView.spec.features.map((f) => f.name);
const prefix = `frec-bench-${randomUUID()}:`;
const { store, close } = await openBenchStore({ type: 'redis', connection_string: 'redis://127.0.0.1:6379', cluster: false, key_prefix: prefix, connect_timeout_ms: 1000, command_timeout_ms: 1000 });
const itemRows = Array.from({ length: 500 }, (_, i) => { const r: Record<string, unknown> = { item_id: `item-${i}`, event_timestamp: Date.now() }; for (const f of featureNames) r[f] = rand(); return r; });
await store.writeToOnlineStore('item_v', itemRows);
const userRows = [{ user_id: 1, event_timestamp: Date.now(), ...Object.fromEntries(featureNames.map((f) => [f, rand()])) }];
for (const v of defs.userViews) await store.writeToOnlineStore(v.name, userRows);
const reqB = { features: featureNames.map((f) => `item_v:${f}`), entityRows: itemRows.map((r) => ({ item_id: r.item_id })) };
const reqA = { features: defs.userViews.flatMap((v) => featureNames.map((f) => `${v.name}:${f}`)), entityRows: [{ user_id: 1 }], fullFeatureNames: true };
const online = await store.onlineStore();
const itemKeysE = itemRows.map((r) => [r.item_id as string]);
const raw = new Redis('redis://127.0.0.1:6379');
const keysB = itemRows.map((r) => `${prefix}bench:item_v:${r.item_id}`);
const keysA = defs.userViews.map((v) => `${prefix}bench:${v.name}:1`);
async function cpu(name: string, fn: () => Promise<unknown>, n: number) {
  for (let i = 0; i < 200; i++) await fn();
  const c0 = process.cpuUsage(); const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn();
  const c = process.cpuUsage(c0); const wall = performance.now() - t0;
  console.log(name.padEnd(12), 'cpu/call', ((c.user + c.system) / n).toFixed(1), 'us  wall/call', (wall * 1000 / n).toFixed(1), 'us');
}
for (let r = 0; r < 2; r++) {
  await cpu('B frec', () => store.getOnlineFeatures(reqB), 1000);
  await cpu('B readCols', () => online.readColumns!('bench', defs.itemView.spec, itemKeysE, featureNames), 1000);
  await cpu('B raw', () => raw.mgetBuffer(keysB), 1000);
  await cpu('A frec', () => store.getOnlineFeatures(reqA), 3000);
  await cpu('A raw', () => raw.mgetBuffer(keysA), 3000);
}
raw.disconnect(); await close(); process.exit(0);
