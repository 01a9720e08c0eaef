import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMovieLens } from './movielens-loader.js';

/** The vendored MovieLens latest-small folder. */
export const VENDORED_DATA = fileURLToPath(new URL('../../data/ml-latest-small', import.meta.url));
/** The StreamRec feature repo at the monorepo root. */
export const FEATURE_REPO = fileURLToPath(new URL('../../feature_repo', import.meta.url));

// `npm run load -- [movielens-folder] [--max-users N]`: writes the Parquet sources into feature_repo/data.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const i = args.indexOf('--max-users');
  const maxUsers = i >= 0 ? Number(args[i + 1]) : undefined;
  const input = args.find((a, j) => !a.startsWith('--') && (i < 0 || j !== i + 1)) ?? VENDORED_DATA;
  loadMovieLens({ inputDir: path.resolve(input), outDir: path.join(FEATURE_REPO, 'data'), ...(maxUsers ? { maxUsers } : {}) })
    .then((r) => console.log(`loaded ${r.interactions} interactions, ${r.users} users, ${r.items} items, ${r.tags} tags (${r.format}) into ${path.dirname(r.files.interactions)}`))
    .catch((err: Error) => {
      console.error(`error: ${err.message}`);
      process.exitCode = 1;
    });
}
