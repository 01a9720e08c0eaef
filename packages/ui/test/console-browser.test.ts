import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { createFeatureServer, type FeatureServer } from '@frec/feature-server';
import { mountConsole, registrySource } from '../src/index.js';
import { launchChromium, numericEntry, type ChromiumSession } from './support/index.js';
import { createConsoleRepo, DAYS, PAYLOAD, type ConsoleRepo } from './helpers/console-repo.js';

const KEY = 'browser-test-key';
const SHOTS = process.env.FREC_UI_SCREENSHOTS ?? mkdtempSync(path.join(os.tmpdir(), 'frec-ui-shots-'));
let repo: ConsoleRepo;
let server: FeatureServer;
let url: string;
let chrome: ChromiumSession;
let page: Page;

beforeAll(async () => {
  [repo, chrome] = await Promise.all([createConsoleRepo(), launchChromium()]);
  server = await createFeatureServer(repo.store, {
    port: 0,
    apiKeys: [KEY],
    logLevel: 'silent',
    extensions: [(app, { store, metrics }) => mountConsole(app, store, { metrics: [registrySource('feature-server', metrics.registry)] })],
  });
  ({ url } = await server.listen());
  page = await chrome.page();
}, 120_000);
afterAll(async () => {
  await chrome?.close();
  await server?.close();
  await repo?.close();
});

const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
const xss = () => page.evaluate(() => (window as unknown as { __xss?: number }).__xss);

describe('the console in a real browser, mounted in the feature server', () => {
  it('shows an auth failure without a key, then works with one', async () => {
    await page.goto(`${url}/ui/`);
    await page.getByTestId('key-prompt').waitFor();
    await expect(page.getByTestId('auth-error').first().textContent()).resolves.toContain('401');
    await page.getByTestId('key-input').fill(KEY);
    await page.getByTestId('key-submit').click();
    await page.getByTestId('catalog-results').waitFor();
    expect(await page.getByTestId('project').textContent()).toBe(repo.project);
  });

  it('finds a feature, opens its view and renders every free-text field as text', async () => {
    await page.getByTestId('catalog-search').fill('segment');
    await page.locator('[data-testid=catalog-link]', { hasText: 'user_stats:segment' }).click();
    await page.getByTestId('object-title').waitFor();
    expect(await page.getByTestId('object-title').textContent()).toContain('user_stats');
    expect(await page.locator('tr.highlight').getAttribute('data-feature')).toBe('segment');
    expect(await page.getByTestId('site').textContent()).toBe('defined at features.ts:8');
    expect(await page.getByTestId('description').textContent()).toBe(`Taste of each user ${PAYLOAD}`);
    expect(await page.getByTestId('owner').textContent()).toBe(`ml-team ${PAYLOAD}`);
    expect(await page.getByTestId('tags').textContent()).toContain(`team=${PAYLOAD}`);
    expect(await page.locator('img[src=x]').count()).toBe(0);
    expect(await page.getByTestId('snippet-curl').textContent()).toContain('/get-online-features');
    expect(await xss()).toBeUndefined();
    await shot('view');
  });

  it('draws the lineage from the source to the registered model, and a node opens its page', async () => {
    const graph = page.getByTestId('lineage-graph');
    await graph.waitFor();
    for (const id of ['source:user_stats_source', 'view:user_stats', 'view:score_ctx', 'service:ranker_v1', 'model:ranker']) {
      expect(await graph.locator(`[data-node="${id}"]`).count(), id).toBe(1);
    }
    expect(await graph.locator('[data-edge="service:ranker_v1>model:ranker"]').count()).toBe(1);
    await graph.locator('[data-node="model:ranker"]').click();
    await page.getByTestId('model-ranker').waitFor();
    expect(await page.getByTestId('model-ranker').textContent()).toContain('production');
    await shot('models');
  });

  it('draws the histogram from real values with the PSI of the skew report', async () => {
    const last = DAYS.at(-1)!;
    const want = numericEntry('user_stats:score', repo.reference.score, repo.served[last]!.score);
    await page.goto(`${url}/ui/#/drift/user_stats/score`);
    await page.getByTestId('histogram').locator('canvas').waitFor();
    expect(await page.getByTestId('psi-value').textContent()).toBe(want.psi.toFixed(4));
    expect(await page.getByTestId('report-psi-value').textContent()).toBe(want.psi.toFixed(4));
    const rows = await page.getByTestId('bins').locator('tbody tr').allTextContents();
    expect(rows).toHaveLength(want.bins.length);
    // The canvas holds the bars: it is not blank.
    const painted = await page
      .getByTestId('histogram')
      .locator('canvas')
      .evaluate((c: HTMLCanvasElement) => {
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
        return n;
      });
    expect(painted).toBeGreaterThan(1000);
    await page.getByTestId('drift-chart').locator('canvas').waitFor();
    await shot('drift');
  });

  it('shows freshness, serving, history and the whole lineage', async () => {
    await page.goto(`${url}/ui/#/freshness`);
    await page.getByTestId('freshness').waitFor();
    expect(await page.locator('[data-view=user_stats] [data-testid=online-rows]').textContent()).toBe('300');
    await shot('freshness');
    await page.goto(`${url}/ui/#/serving`);
    await page.getByTestId('endpoints').waitFor();
    await shot('serving');
    await page.goto(`${url}/ui/#/history`);
    await page.getByTestId('apply').first().waitFor();
    await shot('history');
    await page.goto(`${url}/ui/#/lineage`);
    await page.getByTestId('lineage-graph').waitFor();
    await shot('lineage');
    expect(await xss()).toBeUndefined();
    expect(chrome.problems.filter((p) => !p.includes('401'))).toEqual([]);
  });
});
