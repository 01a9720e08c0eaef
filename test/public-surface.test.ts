import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Pins the runtime names every package entry point exports, so a change to a public surface shows
 * up as a reviewed diff of test/public-surface/*.json. After an intended change, run
 * `UPDATE_PUBLIC_SURFACE=1 npx vitest run test/public-surface.test.ts` and commit the files.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const packagesDir = path.join(root, 'packages');

interface Entry {
  pkg: string;
  subpath: string;
  file: string;
}

function entries(): Entry[] {
  const out: Entry[] = [];
  for (const dir of readdirSync(packagesDir).sort()) {
    const pj = path.join(packagesDir, dir, 'package.json');
    if (!existsSync(pj)) continue;
    const manifest = JSON.parse(readFileSync(pj, 'utf8')) as { name: string; exports?: Record<string, string> };
    for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
      if (typeof target === 'string' && target.endsWith('.ts'))
        out.push({ pkg: manifest.name, subpath, file: path.join(packagesDir, dir, target) });
    }
  }
  return out;
}

const update = process.env.UPDATE_PUBLIC_SURFACE === '1';

describe('public surface', () => {
  for (const e of entries()) {
    const id = e.subpath === '.' ? e.pkg : `${e.pkg}/${e.subpath.replace(/^\.\//, '')}`;
    it(`${id} exports exactly the pinned runtime names`, async () => {
      const names = Object.keys(await import(e.file)).sort();
      const pinFile = path.join(root, 'test', 'public-surface', `${id.replace(/^@/, '').replace(/\//g, '__')}.json`);
      if (update || !existsSync(pinFile)) writeFileSync(pinFile, `${JSON.stringify(names, null, 2)}\n`);
      const pinned = JSON.parse(readFileSync(pinFile, 'utf8')) as string[];
      expect(names, `${id}: update ${path.relative(root, pinFile)} if this change to the surface is intended`).toEqual(pinned);
    });
  }

  it('@frec/core keeps backend internals out of the user API', async () => {
    const core = Object.keys(await import(path.join(packagesDir, 'core/src/index.ts')));
    for (const internal of [
      'applyPlanToRegistry',
      'parseEvent',
      'keyString',
      'seededRandom',
      'notImplemented',
      'registerPlugin',
      'encodeRegistry',
    ]) {
      expect(core).not.toContain(internal);
    }
  });
});
