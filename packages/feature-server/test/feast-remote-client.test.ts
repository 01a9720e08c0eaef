import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Array as ArrayOf,
  FeatureStore,
  Float32,
  Float64,
  Int64,
  String as Str,
  UnixTimestamp,
  buildRepoContents,
  entity,
  featureView,
  field,
  fileSource,
  parseRepoConfig,
  pushSource,
} from '@frec/core';
import { createFeatureServer, type FeatureServer } from '@frec/feature-server';
import { deleteKeys } from './feature-server-fixture.js';

/**
 * Feast's remote online store client (sdk/python/feast/infra/online_stores/remote.py at
 * feast-dev/feast@0d509ec, with type_map.py and proto_json.py) against frec serve: the request
 * bodies are the captured fixtures, and the answers are parsed by the client's own rules,
 * re-implemented below, because the Python SDK cannot be installed here.
 */
const FIXTURES = path.join(import.meta.dirname, 'fixtures/feast-remote');
const fixture = (name: string): string => readFileSync(path.join(FIXTURES, name), 'utf8');

/** A JSON value as Python's json.loads sees it: a number is an int (exact) unless it has '.', 'e' or 'E'. */
type Py = { int: bigint } | { float: number } | string | boolean | null | Py[] | { [k: string]: Py };

function pyJsonLoads(text: string): Py {
  let i = 0;
  const ws = () => {
    while (/\s/.test(text[i] ?? '')) i++;
  };
  const value = (): Py => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: Record<string, Py> = {};
      ws();
      if (text[i] === '}') return (i++, obj);
      for (;;) {
        ws();
        const k = value() as string;
        ws();
        i++; // ':'
        obj[k] = value();
        ws();
        if (text[i++] === '}') return obj;
      }
    }
    if (c === '[') {
      i++;
      const arr: Py[] = [];
      ws();
      if (text[i] === ']') return (i++, arr);
      for (;;) {
        arr.push(value());
        ws();
        if (text[i++] === ']') return arr;
      }
    }
    if (c === '"') {
      const m = /^"(?:[^"\\]|\\.)*"/.exec(text.slice(i))!;
      i += m[0].length;
      return JSON.parse(m[0]) as string;
    }
    for (const [lit, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(lit, i)) return ((i += lit.length), v);
    }
    const m = /^-?\d+(\.\d+)?([eE][-+]?\d+)?/.exec(text.slice(i));
    if (!m) throw new Error(`json.loads: unexpected ${text.slice(i, i + 20)}`);
    i += m[0].length;
    return m[1] !== undefined || m[2] !== undefined ? { float: Number(m[0]) } : { int: BigInt(m[0]) };
  };
  return value();
}

/** The proto field type_map.python_values_to_proto_values([v], ValueType.UNKNOWN) fills, and the value. */
function inferProto(v: Py): { field: string; value: unknown } {
  const scalar = (x: Py): string => {
    if (typeof x === 'boolean') return 'bool';
    if (typeof x === 'string') return 'string';
    if (x !== null && typeof x === 'object' && 'int' in x) return 'int64';
    if (x !== null && typeof x === 'object' && 'float' in x) return 'double';
    throw new Error(`type_map: cannot infer the type of ${JSON.stringify(x)}`);
  };
  const plain = (x: Py): unknown =>
    x !== null && typeof x === 'object' && !Array.isArray(x) ? ('int' in x ? x.int : 'float' in x ? x.float : x) : x;
  if (Array.isArray(v)) {
    const t = scalar(v[0]!);
    // The list's type comes from its first element; an int64 list cannot hold a float (and vice versa).
    for (const x of v) if (scalar(x) !== t) throw new Error(`type_map: ${t}_list_val cannot hold ${JSON.stringify(plain(x))}`);
    return { field: `${t}_list_val`, value: v.map(plain) };
  }
  return { field: `${scalar(v)}_val`, value: plain(v) };
}

/** remote.py `_get_event_ts`: `datetime.fromisoformat(ts.replace("Z", "+00:00"))` as Python 3.9-3.10 accept it. */
function pyFromIsoformat(ts: string): number {
  const s = ts.replace('Z', '+00:00');
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6})?\+00:00$/.test(s))
    throw new Error(`fromisoformat: Invalid isoformat string: '${s}'`);
  return Date.parse(s);
}

/** remote.py `online_read`: per entity row, each requested feature as an inferred proto value, or an empty one unless PRESENT. */
function onlineRead(text: string, nRows: number, requested: string[]) {
  const res = pyJsonLoads(text) as {
    metadata: { feature_names: string[] };
    results: Array<{ values: Py[]; statuses: string[]; event_timestamps: string[] }>;
  };
  const eventTs = res.results.length > 1 ? pyFromIsoformat(res.results[1]!.event_timestamps[0]!) : Number.NaN;
  const rows: Array<Record<string, { field: string; value: unknown } | 'empty'>> = [];
  for (let r = 0; r < nRows; r++) {
    const row: Record<string, { field: string; value: unknown } | 'empty'> = {};
    res.metadata.feature_names.forEach((name, c) => {
      if (!requested.includes(name)) return;
      row[name] = res.results[c]!.statuses[r] === 'PRESENT' ? inferProto(res.results[c]!.values[r]!) : 'empty';
    });
    rows.push(row);
  }
  return { eventTs, rows };
}

const SEEN_AT = Date.UTC(2026, 0, 1, 0, 0, 0, 500);
const EVENT = Date.UTC(2026, 0, 1, 12);
let dir: string;
let prefix: string;
let store: FeatureStore;
let server: FeatureServer;
let url: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'frec-feast-'));
  prefix = `frec-test-${randomUUID()}:`;
  const item = entity({ name: 'item', joinKey: 'item_id', valueType: Int64 });
  const batch = fileSource({ name: 'feast_types_batch', path: 'data/pushed/feast_types/**/*.parquet', timestampField: 'event_timestamp' });
  const push = pushSource({ name: 'feast_types_push', batchSource: batch });
  const view = featureView({
    name: 'feast_types',
    entities: [item],
    source: push,
    schema: [
      field('f32', Float32),
      field('f64', Float64),
      field('n', Int64),
      field('tag', Str),
      field('seen_at', UnixTimestamp),
      field('emb', ArrayOf(Float32)),
    ],
  });
  const contents = buildRepoContents([item, batch, push, view].map((object) => ({ object })));
  const yaml = `project: feast_remote
plugins: ['@frec/online', '@frec/offline']
registry:
  path: ${path.join(dir, 'registry.json')}
online_store:
  type: redis
  connection_string: redis://127.0.0.1:6379
  key_prefix: '${prefix}'
  command_timeout_ms: 10000
`;
  store = await FeatureStore.open({
    config: parseRepoConfig(yaml, { file: path.join(dir, 'feature_store.yaml'), repoPath: dir }),
    definitions: contents,
  });
  await store.apply(contents, { validateSources: false });
  await store.writeToOnlineStore('feast_types', [
    { item_id: 1, f32: 1, f64: 2, n: 3, tag: 'a', seen_at: new Date(SEEN_AT), emb: [1, 0.5], event_timestamp: new Date(EVENT) },
    { item_id: 2, f32: 0.5, f64: -4, n: 9, tag: 'b', seen_at: null, emb: [0.25, 2], event_timestamp: new Date(EVENT) },
  ]);
  server = await createFeatureServer(store, { port: 0, logLevel: 'silent', env: {}, storeTimeoutMs: 30_000 });
  ({ url } = await server.listen());
});
afterAll(async () => {
  await server?.close();
  await store?.close();
  await deleteKeys('redis://127.0.0.1:6379', prefix).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

/** remote.py posts with `requests.post(url, data=req_body)`: a str body and no JSON content type. */
const postRaw = (route: string, body: string, contentType?: string) =>
  fetch(`${url}${route}`, { method: 'POST', body, headers: contentType ? { 'content-type': contentType } : {} });

const REQUESTED = ['f32', 'f64', 'n', 'tag', 'seen_at', 'emb'];

describe("Feast's remote online store client against frec serve", () => {
  for (const name of ['online-read.remote-0d509ec.request.txt', 'online-read.feast-0.66.request.txt']) {
    it(`online_read: ${name} answers 200 and parses into protos of the declared types, as from Feast's server`, async () => {
      const res = await postRaw('/get-online-features', fixture(name));
      const text = await res.text();
      expect(res.status, text).toBe(200);
      const { eventTs, rows } = onlineRead(text, 3, REQUESTED);
      expect(eventTs).toBe(EVENT);
      expect(rows[0]).toEqual({
        // Whole-number floats arrive as 1.0, so the client builds double values, not int64 ones.
        f32: { field: 'double_val', value: 1 },
        f64: { field: 'double_val', value: 2 },
        n: { field: 'int64_val', value: 3n },
        tag: { field: 'string_val', value: 'a' },
        // Feast's server prints unix_timestamp_val as epoch seconds (an int).
        seen_at: { field: 'int64_val', value: BigInt(Math.floor(SEEN_AT / 1000)) },
        emb: { field: 'double_list_val', value: [1, 0.5] },
      });
      expect(rows[1]).toMatchObject({
        f32: { field: 'double_val', value: 0.5 },
        f64: { field: 'double_val', value: -4 },
        n: { field: 'int64_val', value: 9n },
        emb: { field: 'double_list_val', value: [0.25, 2] },
      });
      expect(rows[1]!.seen_at).toBe('empty');
      expect(rows[2]).toEqual(Object.fromEntries(REQUESTED.map((f) => [f, 'empty'])));
      // Float text is exactly what Python's json writes for these values.
      expect(text).toContain('"values":[1.0,0.5,null]');
      expect(text).toContain('"values":[[1.0,0.5],[0.25,2.0],null]');
    });
  }

  it('online_write_batch: the captured /write-to-online-store body answers 200 and its rows read back, times as UTC', async () => {
    const res = await postRaw('/write-to-online-store', fixture('online-write.remote-0d509ec.request.txt'), 'application/json');
    expect(res.status, await res.text()).toBe(200);
    const back = await store.getOnlineFeatures({
      features: REQUESTED.map((f) => `feast_types:${f}`),
      entityRows: [{ item_id: 4 }, { item_id: 5 }],
    });
    expect(back.toRows()).toEqual([
      { item_id: 4, f32: 2, f64: 3, n: 7, tag: 'w', seen_at: null, emb: [1, 0.5] },
      { item_id: 5, f32: 0.25, f64: -1.5, n: 8, tag: 'x', seen_at: null, emb: [2, 3] },
    ]);
    expect(Array.from(back.eventTimestamps[1]!)).toEqual([Date.UTC(2026, 0, 2, 3, 4, 5), Date.UTC(2026, 0, 2, 3, 4, 5, 250)]);
  });
});
