// Temporary micro-benchmark (w2H3): decode cost of 500 rows x 20 features, pure CPU.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { ColumnReader } from '../../packages/online/src/codec/column-reader.js';
import { benchDefinitions, openBenchStore, seeded } from './bench-repo.js';
const prefix = `frec-bench-${randomUUID()}:`;
const rand = seeded(7);
const defs = benchDefinitions();
const names = defs.itemView.spec.features.map((f) => f.name);
const { store, close } = await openBenchStore({ type: 'redis', connection_string: 'redis://127.0.0.1:6379', cluster: false, key_prefix: prefix, connect_timeout_ms: 1000, command_timeout_ms: 1000 });
const raw = new Redis();
try {
  const items = Array.from({ length: 500 }, (_, i) => { const r: Record<string, unknown> = { item_id: `item-${i}`, event_timestamp: Date.now() }; for (const f of names) r[f] = rand(); return r; });
  await store.writeToOnlineStore('item_v', items);
  const rows = await raw.mgetBuffer(items.map((r) => `${prefix}bench:item_v:${r.item_id}`));
  console.log("distinct ArrayBuffers:", new Set(rows.map((b) => b!.buffer)).size, "byteOffsets", rows.slice(0,3).map((b) => b!.byteOffset));
  const reader = new ColumnReader();
  const view = (await store.registry.data()).featureViews['item_v']!.spec;
  for (let i = 0; i < 2000; i++) await reader.decode(view, rows, names, String, () => undefined);
  const t0 = performance.now();
  for (let i = 0; i < 5000; i++) await reader.decode(view, rows, names, String, () => undefined);
  console.log(`decode: ${((performance.now() - t0) / 5000 * 1000).toFixed(1)} us/call`);
  const req = { features: names.map((f) => `item_v:${f}`), entityRows: items.map((r) => ({ item_id: r.item_id })) };
  const t1 = performance.now();
  for (let i = 0; i < 3000; i++) await store.getOnlineFeatures(req);
  console.log(`gof: ${((performance.now() - t1) / 3000 * 1000).toFixed(1)} us/call`);
  const t2 = performance.now();
  for (let i = 0; i < 3000; i++) await raw.mgetBuffer(items.map((r) => `${prefix}bench:item_v:${r.item_id}`));
  console.log(`raw: ${((performance.now() - t2) / 3000 * 1000).toFixed(1)} us/call`);
} finally { raw.disconnect(); await close(); }
