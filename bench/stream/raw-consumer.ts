/**
 * The raw baseline of the stream benchmarks: XREADGROUP, one pipelined SET of the newest seq per
 * user, XACK. No parsing beyond that, no state, no aggregation. Runs until SIGTERM. `topics` may
 * list several stream keys (comma-separated), read in one XREADGROUP: a raw consumer of a share of
 * a partitioned topic's partitions.
 *   npx tsx bench/stream/raw-consumer.ts <redis-url> <topics> <group> <key-prefix> [consumer=raw]
 */
import { Redis } from 'ioredis';

const [url, topicList, group, prefix, consumer = 'raw'] = process.argv.slice(2) as [string, string, string, string, string?];
const topics = topicList.split(',');
const r = new Redis(url);
for (const topic of topics) await r.xgroup('CREATE', topic, group, '0', 'MKSTREAM').catch(() => undefined);
let stop = false;
process.on('SIGTERM', () => (stop = true));
while (!stop) {
  const reply = (await r.xreadgroup(
    'GROUP',
    group,
    consumer,
    'COUNT',
    2000,
    'BLOCK',
    200,
    'STREAMS',
    ...topics,
    ...topics.map(() => '>'),
  )) as Array<[string, Array<[string, string[]]>]> | null;
  if (!reply) continue;
  const p = r.pipeline();
  for (const [topic, entries] of reply) {
    if (entries.length === 0) continue;
    for (const [, f] of entries) {
      const o: Record<string, string> = {};
      for (let i = 0; i < f.length; i += 2) o[f[i]!] = f[i + 1]!;
      p.set(`${prefix}${o.user_id}`, o.seq!);
    }
    p.xack(topic, group, ...entries.map((e) => e[0]));
  }
  await p.exec();
}
r.disconnect();
