/**
 * Derives another MovieLens-format folder from one (issue 21, part 5: do the tuning rules transfer?):
 * a seeded share of the users (by a hash of the user id, so the same seed keeps the same users) and
 * every timestamp shifted by a number of days. Ratings and tags of the kept users, movies and links
 * whole. Then `npm run -w examples/streamrec load -- <out>` and `npm run -w examples/streamrec train -- <out>`.
 *
 *   npx tsx bench/streamrec-models/derive-movielens.ts --out <folder> [--input <folder>] [--users 0.6] [--seed 5] [--shift-days 1000]
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({
  options: {
    input: { type: 'string', default: path.join(root, 'examples/streamrec/data/ml-latest-small') },
    out: { type: 'string' },
    users: { type: 'string', default: '0.6' },
    seed: { type: 'string', default: '5' },
    'shift-days': { type: 'string', default: '1000' },
  },
});
if (!values.out) throw new Error('derive-movielens: pass --out <folder>');
const share = Number(values.users);
const seed = Number(values.seed);
const shiftS = Number(values['shift-days']) * 86_400;

/** Whether a user is kept: a seeded integer hash of the id under `share`. */
const kept = (userId: string): boolean => {
  let h = (Number(userId) ^ seed) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b) >>> 0;
  return ((h ^ (h >>> 16)) >>> 0) / 2 ** 32 < share;
};

mkdirSync(values.out, { recursive: true });
const users = new Set<string>();
let rows = 0;
for (const f of ['ratings.csv', 'tags.csv']) {
  // The release's files end lines with CRLF: split on either, write LF throughout (DuckDB's sniffer rejects a mix).
  const lines = readFileSync(path.join(values.input, f), 'utf8').split(/\r?\n/);
  const out = [lines[0]!];
  for (const l of lines.slice(1)) {
    if (l.length === 0) continue;
    const user = l.slice(0, l.indexOf(','));
    if (!kept(user)) continue;
    const cut = l.lastIndexOf(',');
    out.push(`${l.slice(0, cut + 1)}${Number(l.slice(cut + 1)) + shiftS}`);
    if (f === 'ratings.csv') {
      users.add(user);
      rows++;
    }
  }
  writeFileSync(path.join(values.out, f), out.join('\n') + '\n');
}
for (const f of ['movies.csv', 'links.csv']) copyFileSync(path.join(values.input, f), path.join(values.out, f));
console.log(
  `${values.out}: ${rows} ratings of ${users.size} users (share ${share}, seed ${seed}), timestamps + ${values['shift-days']} days`,
);
