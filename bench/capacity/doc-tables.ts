import { DEFAULT_ASSUMPTIONS, sizeFleet, type Assumptions, type MeasuredInputs } from './model.js';

const f = (x: number, d = 0): string => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

/** The fleet table of docs/capacity.md for the given inputs: one column per user count. */
export function fleetTable(m: MeasuredInputs, users: number[] = [12e6, 50e6], a: Assumptions = DEFAULT_ASSUMPTIONS): string {
  const fleets = users.map((u) => sizeFleet(u, m, a));
  const row = (label: string, cell: (i: number) => string): string => `| ${label} | ${fleets.map((_, i) => cell(i)).join(' | ')} |`;
  const x = (i: number) => fleets[i]!;
  return [
    `| | ${users.map((u) => `${f(u / 1e6)}M monthly users`).join(' | ')} |`,
    `|---|${users.map(() => '---').join('|')}|`,
    row(
      'recommender req/s per core at p95 < 200 ms / < 50 ms',
      (i) => `${f(x(i).rpsPerCoreP95Under200)} / ${f(x(i).rpsPerCoreP95Under50)}`,
    ),
    row(
      'recommender pods (1 core each) at p95 < 200 ms',
      (i) => `${x(i).recommenderPods} (planned ${f(x(i).plannedRpsPerPod)} req/s per pod)`,
    ),
    row('... if the budget were p95 < 50 ms', (i) => String(x(i).recommenderPodsP95Under50)),
    row('online data in Redis (x fragmentation)', (i) => `${f(x(i).onlineDataGiB, 1)} GiB`),
    row(
      'Redis masters: for memory / for reads / chosen',
      (i) => `${x(i).redisMastersForMemory} / ${x(i).redisMastersForReads} / **${x(i).redisMasters}**`,
    ),
    row('Redis nodes (masters + replicas), memory', (i) => `${x(i).redisNodes} nodes, ${f(x(i).redisMemoryGiB)} GiB`),
    row('lookups/s one master serves at the planned CPU share', (i) => f(x(i).readsPerSecondPerShard)),
    row('stream events/s at peak, workers (0.5 core each)', (i) => `${f(x(i).streamEventsPerSecond)}, **${x(i).streamWorkers}**`),
    row(
      'daily materialization rows, hours, jobs in the window',
      (i) => `${f(x(i).materializeRows)}, ${f(x(i).materializeHours, 2)} h, ${x(i).materializeJobs}`,
    ),
    row('cores: recommender + stream workers', (i) => `${f(x(i).totalCores, 1)}`),
  ].join('\n');
}

/** The measured inputs as a table: figure, value, load average when measured. */
export function inputsTable(m: MeasuredInputs): string {
  const rows: Array<[string, keyof MeasuredInputs, number]> = [
    ['Redis bytes per user (user_stats + user_recent, MEMORY USAGE)', 'bytesPerUser', 0],
    ['Redis bytes per item (item_stats + item_content + item_tags)', 'bytesPerItem', 0],
    ['Redis CPU per recommender lookup on one shard (us)', 'redisCpuUsPerLookup', 2],
    ['Redis CPU per one-row lookup (us, a cluster node hit)', 'redisCpuUsPerKeyRead', 2],
    ['recommender CPU per request (ms, marginal)', 'recommenderCpuMsPerRequest', 2],
    ['1 recommender process, highest paced rate at p95 < 200 ms (req/s)', 'recommenderRpsP95Under200', 0],
    ['1 recommender process, highest paced rate at p95 < 50 ms (req/s)', 'recommenderRpsP95Under50', 0],
    ['stream events per worker CPU second', 'streamEventsPerCpuSecond', 0],
    ['materialization rows/s into Redis (wall clock)', 'materializeRowsPerSecond', 0],
    ['materialization rows per CPU second (process + Redis)', 'materializeRowsPerCpuSecond', 0],
    ['idle recommender process (cores)', 'recommenderIdleCores', 3],
  ];
  return [
    '| input | measured | load average (1 min) |',
    '|---|---|---|',
    ...rows.map(([label, k, d]) => `| ${label} | ${f(m[k].value, d)} | ${m[k].load} |`),
  ].join('\n');
}
