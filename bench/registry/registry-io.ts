/**
 * Registry I/O: what optimistic concurrency costs per write, and what the read cache saves per
 * read, each next to a raw baseline measured in the same run.
 *   npx tsx bench/registry/registry-io.ts [--views 100] [--iterations 200]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { buildRepoContents, entity, featureView, field, fileSource, Float32, Int64 } from '@frec/core';
import {
  applyPlanToRegistry,
  decodeRegistry,
  emptyRegistry,
  encodeRegistry,
  LocalRegistryStore,
  Registry,
  type RegistryData,
  type RegistryStore,
} from '@frec/core/spi';
import { S3RegistryStore } from '../../packages/core/src/registry/s3/s3-registry-store.js';

const { values } = parseArgs({ options: { views: { type: 'string', default: '100' }, iterations: { type: 'string', default: '200' } } });
const VIEWS = Number(values.views);
const N = Number(values.iterations);

/** A registry with VIEWS feature views of 20 features each (deterministic). */
function registryWithViews(): RegistryData {
  const user = entity({ name: 'user', joinKey: 'user_id', valueType: Int64 });
  const src = fileSource({ name: 'events', path: 'data/events.parquet', timestampField: 'ts' });
  const views = Array.from({ length: VIEWS }, (_, v) =>
    featureView({
      name: `view_${v}`,
      entities: [user],
      source: src,
      ttl: '1d',
      schema: Array.from({ length: 20 }, (_, f) => field(`f${f}`, Float32)),
    }),
  );
  return applyPlanToRegistry(buildRepoContents([user, src, ...views].map((object) => ({ object }))), emptyRegistry('bench'), new Date(0));
}

async function timeEach(fn: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(20, N); i++) await fn(i);
  const t: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    await fn(i);
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)]!;
}

const rows: string[][] = [];
function report(what: string, frec: number, baselineName: string, baseline: number): void {
  rows.push([what, `${frec.toFixed(4)} ms`, baselineName, `${baseline.toFixed(4)} ms`, `${(frec / baseline).toFixed(2)}x`]);
}

async function benchStore(
  name: string,
  store: RegistryStore,
  rawWrite: (bytes: string) => Promise<unknown>,
  rawRead: () => Promise<unknown>,
  data: RegistryData,
): Promise<void> {
  let snap = await store.write({ ...data, generation: 1 }, null);
  let gen = 1;
  // The baseline is a last-writer-wins store: serialize and write, no check.
  report(
    `${name}: conditional write`,
    await timeEach(async () => {
      snap = await store.write({ ...data, generation: ++gen }, snap.token);
    }),
    'encode + unconditional write',
    await timeEach(() => rawWrite(encodeRegistry({ ...data, generation: ++gen }))),
  );
  // Keep the store's last write current for the read benchmarks.
  snap = await store.write({ ...data, generation: ++gen }, (await store.read())!.token);
  const registry = new Registry(store, 'bench', 5);
  report(
    `${name}: registry read (cache TTL 5 s)`,
    await timeEach(() => registry.data()),
    'read + decode per call',
    await timeEach(rawRead),
  );
  const uncached = new Registry(store, 'bench', 0);
  report(`${name}: registry read (cache TTL 0)`, await timeEach(() => uncached.data()), 'read + decode per call', await timeEach(rawRead));
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const data = registryWithViews();
const dir = mkdtempSync(path.join(tmpdir(), 'frec-bench-registry-'));
const moto = { port: await freePort(), child: undefined as ReturnType<typeof spawn> | undefined };
try {
  const file = path.join(dir, 'registry.json');
  const rawFile = path.join(dir, 'raw.json');
  await writeFile(rawFile, encodeRegistry(data));
  await benchStore(
    'local',
    new LocalRegistryStore(file),
    (b) => writeFile(rawFile, b),
    async () => decodeRegistry(await readFile(rawFile, 'utf8'), rawFile),
    data,
  );

  // Plain moto_server: fine for latency (only one writer here); see ADR 0002 for its races.
  moto.child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(moto.port)], { stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${moto.port}`;
  for (let i = 0; ; i++) {
    try {
      await fetch(`${endpoint}/moto-api/`);
      break;
    } catch {
      if (i > 200) throw new Error('moto_server did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const client = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  await client.send(new CreateBucketCommand({ Bucket: 'frec-bench' }));
  await benchStore(
    's3 (moto)',
    new S3RegistryStore('s3://frec-bench/registry.json', { client }),
    (b) => client.send(new PutObjectCommand({ Bucket: 'frec-bench', Key: 'raw.json', Body: b })),
    async () =>
      decodeRegistry(
        await (await client.send(new GetObjectCommand({ Bucket: 'frec-bench', Key: 'raw.json' }))).Body!.transformToString(),
        'raw',
      ),
    data,
  );
  client.destroy();
} finally {
  moto.child?.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}

console.log(
  `registry: ${VIEWS} views x 20 features, ${(encodeRegistry(data).length / 1024).toFixed(0)} KiB; p50 of ${N} runs; node ${process.version}`,
);
const widths = [0, 1, 2, 3, 4].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
for (const r of [['measure', 'frec', 'baseline', 'baseline', 'ratio'], ...rows])
  console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
