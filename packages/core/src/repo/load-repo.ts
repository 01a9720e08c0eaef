import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { register as registerTsx } from 'tsx/esm/api';
import { DefinitionError, ErrorCode, FrecError } from '../errors.js';
import type { Entity } from '../definitions/entity.js';
import type { FeatureService } from '../definitions/feature-service.js';
import type { FeatureView } from '../definitions/feature-view.js';
import type { OnDemandFeatureView } from '../definitions/on-demand-feature-view.js';
import type { DataSource } from '../definitions/sources.js';

/** Any object a definitions file can export. */
export type Definition = Entity | DataSource | FeatureView | OnDemandFeatureView | FeatureService;

/** A definition and where it was found. */
export interface FoundDefinition {
  object: Definition;
  file: string;
  exportName: string;
}

const DEFINITION_KINDS = new Set(['entity', 'dataSource', 'featureView', 'onDemandFeatureView', 'featureService']);
const SKIP_DIRS = new Set(['node_modules', 'data', 'dist', '.git', 'test', 'tests', '__tests__']);

/** The TypeScript and JavaScript definition files of a repo, excluding tests and data. */
export function definitionFiles(repoPath: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith('.')) continue;
      const full = path.join(dir, name);
      const st = statSync(full);
      if (st.isDirectory()) {
        if (!SKIP_DIRS.has(name)) walk(full);
      } else if (/\.(ts|mts|js|mjs)$/.test(name) && !/\.(test|spec|d)\.[mc]?[tj]s$/.test(name)) {
        out.push(full);
      }
    }
  };
  walk(path.resolve(repoPath));
  return out;
}

let hooksRegistered = false;
let loadCount = 0;

/**
 * Lets definition files anywhere on disk be TypeScript and import '@frec/*' from this install.
 * One global tsx loader (not tsx's per-call namespaces) keeps a single module graph, so the
 * definitions share this process's @frec/core and an entity imported by two files is one object.
 */
function registerHooks(): void {
  if (hooksRegistered) return;
  hooksRegistered = true;
  // Stack traces then name TypeScript lines, not transpiled ones: a definition's recorded site
  // (duplicate-name errors, the registry, the console) is the line a person sees in the file.
  process.setSourceMapsEnabled(true);
  registerTsx();
  register(new URL('./resolve-frec-hook.mjs', import.meta.url), { data: { fallbackParent: import.meta.url } });
}

function isDefinition(v: unknown): v is Definition {
  return typeof v === 'object' && v !== null && DEFINITION_KINDS.has((v as { kind?: string }).kind ?? '');
}

/**
 * Imports every definitions file of a repo (TypeScript through tsx) and collects the exported
 * definitions. A file that throws on import is reported with its path and the original error.
 */
export async function importDefinitions(repoPath: string, files = definitionFiles(repoPath)): Promise<FoundDefinition[]> {
  registerHooks();
  // A fresh URL per load, so a long-lived process that re-plans sees edits to the definition
  // files themselves (modules they import stay cached, as with any ES module).
  const query = `?frec_load=${++loadCount}`;
  const found: FoundDefinition[] = [];
  for (const file of files) {
    let mod: Record<string, unknown>;
    try {
      mod = (await import(/* @vite-ignore */ `${pathToFileURL(file).href}${query}`)) as Record<string, unknown>;
    } catch (err) {
      // A definition the file declares is invalid: that error already names the file and line.
      if (err instanceof FrecError) throw err;
      const e = err as Error & { code?: string };
      const missing = e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND';
      throw new DefinitionError(
        `Importing ${file} failed: ${e.message?.split('\n')[0] ?? String(err)}`,
        {
          where: { file },
          hint: missing
            ? 'Fix the import path, or install the missing package where the repo can resolve it.'
            : 'Fix the error in that file (set FREC_DEBUG=1 to print its stack trace).',
          cause: err,
        },
        ErrorCode.DEFINITION_IMPORT_FAILED,
      );
    }
    for (const [exportName, value] of Object.entries(mod)) {
      if (isDefinition(value)) found.push({ object: value, file, exportName });
      else if (Array.isArray(value))
        value.filter(isDefinition).forEach((v, i) => found.push({ object: v, file, exportName: `${exportName}[${i}]` }));
    }
  }
  return found;
}
