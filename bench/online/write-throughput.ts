/**
 * Online write throughput: frec's conditional write (encode + one EVALSHA per batch of keys,
 * pipelined) against raw pipelined SET of the same keys and bytes, on the same Redis, same run.
 * Run: npx tsx bench/online/write-throughput.ts [rows]
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { type OnlineWriteRow } from '@frec/core/spi';
import { encodeRow, entityKeyString, rowSchemaOf } from '@frec/online';
import { deleteKeysWithPrefix } from '@frec/online/testing';
import { benchDefinitions, openBenchStore, seeded } from './bench-repo.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ROWS = Number(process.argv[2] ?? 50_000);
const ROUNDS = 3;
const prefix = `frec-bench-${randomUUID()}:`;
const defs = benchDefinitions();
const view = defs.itemView.spec;
const rand = seeded(7);

const { store, close } = await openBenchStore({
  type: 'redis',
  connection_string: REDIS_URL,
  cluster: false,
  key_prefix: prefix,
  connect_timeout_ms: 1000,
  command_timeout_ms: 5000,
});
const online = await store.onlineStore();
const raw = new Redis(REDIS_URL);
const tty = process.stdout.isTTY;

async function clear(): Promise<void> {
  await deleteKeysWithPrefix(raw, `${prefix}bench:`);
}

try {
  const now = Date.now();
  const rows: OnlineWriteRow[] = Array.from({ length: ROWS }, (_, i) => ({
    key: [`item-${i}`],
    values: Object.fromEntries(view.features.map((f) => [f.name, rand()])),
    eventTimeMs: now,
    createdTimeMs: now,
  }));
  // The raw baseline writes exactly the bytes frec stores, already encoded (so encoding is frec's cost alone).
  const schema = rowSchemaOf(view.features);
  const keys = rows.map((r) => `${prefix}bench:item_v:${entityKeyString(r.key)}`);
  const bytes = rows.map((r) =>
    encodeRow(
      schema,
      view.features.map((f) => r.values[f.name] ?? null),
      r.eventTimeMs,
      r.createdTimeMs!,
    ),
  );
  const BATCH = 5000;
  const results: Record<string, number[]> = { 'frec write (encode + conditional EVALSHA)': [], 'raw pipelined SET': [] };
  console.log(
    `node ${process.version}, Redis ${REDIS_URL}, ${ROWS} rows x 20 features (${bytes[0]!.length} bytes each), batches of ${BATCH}, ${ROUNDS} rounds`,
  );
  for (let round = 0; round < ROUNDS; round++) {
    await clear();
    let t0 = performance.now();
    for (let s = 0; s < ROWS; s += BATCH) {
      await online.write('bench', view, rows.slice(s, s + BATCH));
      if (tty)
        process.stdout.write(
          `\rfrec round ${round + 1}: ${Math.min(ROWS, s + BATCH)} rows, ${((s + BATCH) / ((performance.now() - t0) / 1000)).toFixed(0)} rows/s`,
        );
    }
    results['frec write (encode + conditional EVALSHA)']!.push(ROWS / ((performance.now() - t0) / 1000));
    await clear();
    t0 = performance.now();
    for (let s = 0; s < ROWS; s += BATCH) {
      const p = raw.pipeline();
      for (let i = s; i < Math.min(ROWS, s + BATCH); i++) p.set(keys[i]!, bytes[i]!);
      await p.exec();
      if (tty) process.stdout.write(`\rraw round ${round + 1}: ${Math.min(ROWS, s + BATCH)} rows                       `);
    }
    results['raw pipelined SET']!.push(ROWS / ((performance.now() - t0) / 1000));
    if (tty) process.stdout.write('\n');
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  const base = median(results['raw pipelined SET']!);
  for (const [name, v] of Object.entries(results)) {
    console.log(
      `${name.padEnd(44)} ${median(v).toFixed(0).padStart(8)} rows/s (median of ${ROUNDS})  ${(median(v) / base).toFixed(2)}x of raw SET`,
    );
  }
  // The conditional path when every row is older than what is stored: nothing is written.
  const t0 = performance.now();
  const stale = rows.map((r) => ({ ...r, eventTimeMs: r.eventTimeMs - 1000 }));
  await online
    .write('bench', view, stale.slice(0, 20_000))
    .then((r) => console.log(`older rows skipped: ${r.skippedOlder} of 20000 in ${(performance.now() - t0).toFixed(0)} ms`));
} finally {
  await clear();
  raw.disconnect();
  await close();
}
