import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Module resolution hook for feature repos, which may live anywhere on disk:
// - '@frec/*' resolves from frec's own install when the repo has no node_modules of its own;
// - TypeScript definition files load as ES modules even without a package.json saying
//   "type": "module", so they share one @frec/core instance with the caller instead of
//   getting a CommonJS copy (whose classes would fail instanceof checks).
let fallbackParent;

export function initialize(data) {
  fallbackParent = data.fallbackParent;
  frecPackagesRoot = new URL('../../../', fallbackParent).href;
}

function isRepoFile(url) {
  return TS_URL.test(url) && !url.includes('/node_modules/') && !(frecPackagesRoot && url.startsWith(frecPackagesRoot));
}

// .cts files are CommonJS on purpose and are left alone.
const TS_URL = /^file:[^?#]*\.(m?ts|tsx)([?#].*)?$/;
// frec's own packages are ES modules already; only users' repo files need the help below.
let frecPackagesRoot;

/** A relative `./x.js` import between TypeScript files of a repo, resolved to `./x.ts` as ESM. */
function relativeTs(specifier, parentURL) {
  if (!parentURL || !isRepoFile(parentURL)) return undefined;
  if (!specifier.startsWith('./') && !specifier.startsWith('../')) return undefined;
  const url = new URL(specifier, parentURL);
  url.search = '';
  const candidates = [url.href];
  if (/\.m?js$/.test(url.pathname)) candidates.unshift(url.href.replace(/\.(m?)js$/, '.$1ts'));
  else if (!/\.(m?ts|tsx)$/.test(url.pathname)) candidates.push(`${url.href}.ts`);
  for (const c of candidates) {
    if (TS_URL.test(c) && existsSync(fileURLToPath(c))) return c;
  }
  return undefined;
}

export async function resolve(specifier, context, nextResolve) {
  const local = relativeTs(specifier, context.parentURL);
  if (local) return { url: local, format: 'module', shortCircuit: true };
  let result;
  try {
    result = await nextResolve(specifier, context);
  } catch (err) {
    if (specifier.startsWith('@frec/') && fallbackParent && err && err.code === 'ERR_MODULE_NOT_FOUND') {
      return nextResolve(specifier, { ...context, parentURL: fallbackParent });
    }
    throw err;
  }
  if (result.format === 'commonjs' && isRepoFile(result.url)) {
    return { ...result, format: 'module' };
  }
  return result;
}

export async function load(url, context, nextLoad) {
  if (context.format === 'commonjs' && isRepoFile(url)) {
    return nextLoad(url, { ...context, format: 'module' });
  }
  return nextLoad(url, context);
}
