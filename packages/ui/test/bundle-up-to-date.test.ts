import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { build } from 'vite';
import { CONSOLE_ASSETS_DIR } from '../src/index.js';

const CONFIG = fileURLToPath(new URL('../web/vite.config.ts', import.meta.url));
const out = mkdtempSync(path.join(os.tmpdir(), 'frec-ui-build-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function files(dir: string): Map<string, string> {
  const m = new Map<string, string>();
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const full = path.join(d, n);
      if (statSync(full).isDirectory()) walk(full);
      else m.set(path.relative(dir, full), readFileSync(full, 'utf8'));
    }
  };
  walk(dir);
  return m;
}

describe('the committed console bundle', () => {
  it('is what the sources build to (run `npm run -w packages/ui build` and commit dist-web after changing web/)', async () => {
    // vitest runs with NODE_ENV=test, which would make Vite build a development bundle.
    const env = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      await build({ configFile: CONFIG, mode: 'production', logLevel: 'silent', build: { outDir: out, emptyOutDir: true } });
    } finally {
      process.env.NODE_ENV = env;
    }
    const built = files(out);
    const committed = files(CONSOLE_ASSETS_DIR);
    expect([...committed.keys()]).toEqual([...built.keys()]);
    for (const [name, text] of built) expect(committed.get(name), name).toBe(text);
  }, 120_000);
});
