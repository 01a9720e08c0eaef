/**
 * The raw baseline of the stream benchmark: XREADGROUP, one pipelined SET of the newest seq per
 * user, XACK. No parsing beyond that, no state, no aggregation. Runs until SIGTERM.
 *   npx tsx bench/stream/raw-consumer.ts <redis-url> <topic> <group> <key-prefix>
 */
import { Redis } from 'ioredis';

const [url, topic, group, prefix] = process.argv.slice(2) as [string, string, string, string];
const r = new Redis(url);
await r.xgroup('CREATE', topic, group, '0', 'MKSTREAM').catch(() => undefined);
let stop = false;
process.on('SIGTERM', () => (stop = true));
while (!stop) {
  const reply = (await r.xreadgroup('GROUP', group, 'raw', 'COUNT', 2000, 'BLOCK', 200, 'STREAMS', topic, '>')) as Array<
    [string, Array<[string, string[]]>]
  > | null;
  const entries = reply?.[0]?.[1] ?? [];
  if (entries.length === 0) continue;
  const p = r.pipeline();
  for (const [, f] of entries) {
    const o: Record<string, string> = {};
    for (let i = 0; i < f.length; i += 2) o[f[i]!] = f[i + 1]!;
    p.set(`${prefix}${o.user_id}`, o.seq!);
  }
  p.xack(topic, group, ...entries.map((e) => e[0]));
  await p.exec();
}
r.disconnect();
