import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { DuckDBInstance } from '@duckdb/node-api';
import { FeatureStore } from '@frec/core';
import { createFeatureServer, type FeatureServer } from '@frec/feature-server';
import { openModelRegistry } from '@frec/model-registry';
import { consoleExtension } from '@frec/ui';
import { launchChromium, numericEntry, writeFeatureLog, writeSkewReport, type ChromiumSession, type FeatureLogRow } from '@frec/ui/testing';
import { backfillStreamViews } from '../src/features/stream-view-backfill.js';
import { loadMovieLens } from '../src/data/movielens-loader.js';
import { tempFeatureRepo } from './fixtures.js';

const VENDORED = fileURLToPath(new URL('../data/ml-latest-small', import.meta.url));
const FREC = fileURLToPath(new URL('../../../node_modules/.bin/frec', import.meta.url));
const KEY = 'streamrec-console-key';
const DAYS = ['2026-11-29', '2026-11-30'];
// FREC_UI_SCREENSHOTS=docs/ui refreshes the README's pictures; otherwise they go to a temporary folder.
const SHOTS = process.env.FREC_UI_SCREENSHOTS
  ? path.resolve(process.env.FREC_UI_SCREENSHOTS)
  : mkdtempSync(path.join(os.tmpdir(), 'streamrec-console-'));

let repo: string;
let store: FeatureStore;
let server: FeatureServer;
let url: string;
let chrome: ChromiumSession;
let page: Page;
let reference: Array<number | null>;
const served: Record<string, Array<number | null>> = {};

/** Every item_content.year row of the offline source (the loader's catalog table), read back from the Parquet. */
async function offlineYears(dir: string): Promise<Array<number | null>> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const r = await conn.runAndReadAll(`SELECT year FROM read_parquet('${path.join(dir, 'data', 'item_content.parquet')}')`);
    return (r.getRowObjectsJS() as Array<{ year: number | null }>).map((x) => x.year);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** The items of the offline item_content source. */
async function offlineItems(dir: string): Promise<number[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const r = await conn.runAndReadAll(
      `SELECT DISTINCT item_id FROM read_parquet('${path.join(dir, 'data', 'item_content.parquet')}') ORDER BY 1`,
    );
    return (r.getRowObjectsJS() as Array<{ item_id: bigint | number }>).map((x) => Number(x.item_id));
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

beforeAll(async () => {
  const browser = launchChromium();
  repo = tempFeatureRepo();
  await loadMovieLens({ inputDir: VENDORED, outDir: path.join(repo, 'data'), maxUsers: 40, seed: 42 });
  await backfillStreamViews(repo);
  // `frec apply` as a user runs it, so the registry records where each definition is declared.
  await promisify(execFile)(FREC, ['apply'], { cwd: repo });
  store = await FeatureStore.open({ repoPath: repo });
  await store.materialize(new Date(0), new Date(), {
    views: ['user_rating_aggs', 'item_rating_aggs', 'item_content', 'item_tag_aggs', 'user_recent'],
  });

  // Models registered against the repo's services, as the training pipeline does (tiny artifacts).
  const models = openModelRegistry(path.join(repo, 'data', 'models'));
  const trainingData = { start: '1996-03-29T00:00:00.000Z', end: '2018-09-01T00:00:00.000Z', rows: 4000 };
  const file = (s: string) => [{ path: 'params.json', data: new TextEncoder().encode(s) }];
  const ranker = await models.register({
    name: 'ranker',
    featureService: 'ranker_v1',
    trainingData,
    artifacts: file('{"v":1}'),
    metrics: { 'per_user_temporal/ndcg20': 0.0912 },
  });
  await models.promote('ranker', ranker.version, { featureServiceExists: async () => true });
  await models.register({
    name: 'ranker',
    featureService: 'ranker_v1',
    trainingData,
    artifacts: file('{"v":2}'),
    metrics: { 'per_user_temporal/ndcg20': 0.0977 },
  });
  await models.register({
    name: 'two_tower',
    featureService: 'two_tower_v1',
    trainingData,
    artifacts: file('{"t":1}'),
    metrics: { 'per_user_temporal/recall500': 0.41 },
  });

  // The feature log: what the online store serves for the repo's users, as the feature server would log it.
  const ids = await offlineItems(repo);
  const values = (
    await store.getOnlineFeatures({ features: ['item_content:year'], entityRows: ids.map((u) => ({ item_id: u })) })
  ).toColumns().year as Array<number | null>;
  reference = await offlineYears(repo);
  for (const [d, day] of DAYS.entries()) {
    // The first day serves the older half of the catalog (by id), the second three quarters: two real samples, two PSIs.
    const take = d === 0 ? ids.length >> 1 : (ids.length * 3) >> 2;
    const rows: FeatureLogRow[] = ids.slice(0, take).map((u, i) => ({
      request_id: `${day}-${i}`,
      served_at: new Date(`${day}T12:00:00Z`),
      service: 'ranker_v1',
      feature: 'item_content:year',
      entity_key: String(u),
      value_num: values[i] ?? null,
      value_str: null,
      status: values[i] === null ? 'NOT_FOUND' : 'PRESENT',
    }));
    served[day] = rows.map((r) => r.value_num);
    await writeFeatureLog(path.join(repo, 'data', 'monitoring', 'feature-log'), day, rows);
    writeSkewReport(path.join(repo, 'data', 'monitoring', 'skew'), {
      date: day,
      reference: { kind: 'offline_source', name: 'item_content_source', rows: reference.length },
      servedRows: rows.length,
      features: [numericEntry('item_content:year', reference, served[day]!)],
    });
  }

  server = await createFeatureServer(store, {
    port: 0,
    apiKeys: [KEY],
    logLevel: 'silent',
    extensions: [consoleExtension({ metricsMinIntervalMs: 0 })],
  });
  ({ url } = await server.listen());
  // Real traffic for the serving page.
  for (let i = 0; i < 20; i++) {
    await fetch(`${url}/get-online-features`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ feature_service: 'two_tower_v1', entities: { user_id: [ids[i % ids.length]], item_id: [1] } }),
    });
  }
  chrome = await browser;
  page = await chrome.page();
}, 180_000);

afterAll(async () => {
  await chrome?.close();
  await server?.close();
  await store?.close();
  if (repo) rmSync(repo, { recursive: true, force: true });
});

const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: name !== 'lineage' });

describe('the web console on the StreamRec feature repo (40 MovieLens users, applied and materialized)', () => {
  it('refuses the API without a key, and asks for one', async () => {
    await page.goto(`${url}/ui/`);
    await page.getByTestId('key-prompt').waitFor();
    expect(await page.getByTestId('auth-error').first().textContent()).toContain('401');
    await page.getByTestId('key-input').fill(KEY);
    await page.getByTestId('key-submit').click();
    await page.getByTestId('catalog-results').waitFor();
    expect(await page.getByTestId('project').textContent()).toBe('streamrec');
    await shot('catalog');
  });

  it('finds a feature and opens its view, declared in features.ts', async () => {
    await page.getByTestId('catalog-search').fill('year');
    const link = page.locator('[data-testid=catalog-link]', { hasText: /^item_content:year$/ });
    await link.waitFor();
    await link.click();
    await page.getByTestId('object-title').waitFor();
    expect(await page.getByTestId('object-title').textContent()).toContain('item_content');
    expect(await page.getByTestId('site').textContent()).toMatch(/^defined at features\.ts:\d+$/);
    expect(await page.getByTestId('schema').textContent()).toContain('genres');
    await shot('view');
  });

  it("shows a stream view's aggregations: last-N and the session gap", async () => {
    await page.goto(`${url}/ui/#/object/featureViews/user_recent`);
    const windows = page.getByTestId('windows');
    await windows.waitFor();
    const rows = await windows.locator('tbody tr').allTextContents();
    expect(rows).toHaveLength(3);
    expect(rows[0]).toContain('last_10_itemslast_nitem_id');
    expect(rows[1]).toContain('30 min');
  });

  it("draws the view's lineage through its services to the registered models", async () => {
    await page.goto(`${url}/ui/#/object/featureViews/item_content`);
    const graph = page.getByTestId('lineage-graph');
    await graph.waitFor();
    for (const id of [
      'source:item_content_source',
      'view:item_content',
      'service:ranker_v1',
      'service:two_tower_v1',
      'model:ranker',
      'model:two_tower',
    ]) {
      expect(await graph.locator(`[data-node="${id}"]`).count(), id).toBe(1);
    }
    await page.goto(`${url}/ui/#/lineage`);
    await page.getByTestId('lineage-graph').locator('[data-node="model:ranker"]').waitFor();
    expect(await page.getByTestId('lineage-graph').locator('[data-edge="view:context_features>service:ranker_v1"]').count()).toBe(1);
    await shot('lineage');
    await page.getByTestId('lineage-graph').locator('[data-node="model:ranker"]').click();
    await page.getByTestId('model-ranker').waitFor();
    expect(await page.getByTestId('model-ranker').textContent()).toContain('production');
    await shot('models');
  });

  it('draws the histogram of real values with the PSI of the skew report', async () => {
    const want = numericEntry('item_content:year', reference, served[DAYS.at(-1)!]!);
    await page.goto(`${url}/ui/#/drift/item_content/year`);
    await page.getByTestId('histogram').locator('canvas').waitFor();
    expect(await page.getByTestId('psi-value').textContent()).toBe(want.psi.toFixed(4));
    expect(await page.getByTestId('report-psi-value').textContent()).toBe(want.psi.toFixed(4));
    expect(await page.getByTestId('row-counts').textContent()).toBe(
      `${reference.length.toLocaleString('en-US')} / ${served[DAYS.at(-1)!]!.length.toLocaleString('en-US')}`,
    );
    await page.getByTestId('drift-chart').locator('canvas').waitFor();
    await shot('drift');
  });

  it('shows freshness, serving latency and the registry history from the real stores', async () => {
    await page.goto(`${url}/ui/#/freshness`);
    await page.getByTestId('freshness').waitFor();
    const rows = Number((await page.locator('[data-view=item_content] [data-testid=online-rows]').textContent())!.replace(/,/g, ''));
    expect(rows).toBeGreaterThan(0);
    await shot('freshness');
    await page.goto(`${url}/ui/#/serving`);
    await page.locator('[data-endpoint="/get-online-features"]').waitFor();
    expect(await page.locator('[data-endpoint="/get-online-features"]').textContent()).toContain('POST /get-online-features');
    await shot('serving');
    await page.goto(`${url}/ui/#/history`);
    await page.getByTestId('apply').first().waitFor();
    expect(await page.getByTestId('apply').first().textContent()).toContain('generation 1');
    await shot('history');
    expect(chrome.problems.filter((p) => !p.includes('401'))).toEqual([]);
  });
});
