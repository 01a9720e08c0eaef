import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Where Debian's chromium package installs the browser (.ci/run installs it). */
export const CHROMIUM_PATH = process.env.FREC_CHROMIUM ?? '/usr/bin/chromium';

/** A browser and one context for a test file; `close` ends the browser process. */
export interface ChromiumSession {
  browser: Browser;
  context: BrowserContext;
  /** A new page whose console errors and failed requests are collected in `problems`. */
  page(): Promise<Page>;
  /** Console errors, page errors and CSP violations seen so far, for asserting a clean page. */
  readonly problems: string[];
  close(): Promise<void>;
}

/**
 * Starts headless Chromium with the flags this machine needs (no sandbox as root, no GPU, no
 * background network: the machine has none). Playwright gives it a fresh, empty profile.
 */
export async function launchChromium(options: { viewport?: { width: number; height: number } } = {}): Promise<ChromiumSession> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`No Chromium at ${CHROMIUM_PATH}: install Debian's chromium package (apt-get install chromium), or set FREC_CHROMIUM.`);
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1360, height: 900 }, deviceScaleFactor: 1 });
  // A loaded machine (8 busy processes on 2 cores) renders slowly; a wait fails only when the page is wrong.
  context.setDefaultTimeout(120_000);
  const problems: string[] = [];
  return {
    browser,
    context,
    problems,
    async page() {
      const page = await context.newPage();
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      return page;
    },
    async close() {
      await context.close().catch(() => undefined);
      await browser.close();
    },
  };
}
