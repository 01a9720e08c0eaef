/**
 * The capacity model of docs/capacity.md: fleet size from measured per-unit rates and stated
 * assumptions. Pure arithmetic, no I/O, so a test can run it on fixed inputs; bench/capacity/run.ts
 * measures the inputs on this machine and checks the throughput prediction with a 2-process run.
 */

/** One measured figure and the 1-minute load average (uptime) while it was taken. */
export interface Measured {
  value: number;
  /** Load average over 1 minute when measured (the machine is shared). */
  load: number;
}

/** What bench/capacity/run.ts measures. */
export interface MeasuredInputs {
  /** Redis bytes (MEMORY USAGE, key + value + overhead) one user's online rows take: user_stats + user_recent. */
  bytesPerUser: Measured;
  /** Redis bytes one item's online rows take: item_stats + item_content + item_tags. */
  bytesPerItem: Measured;
  /** Redis server CPU microseconds per one-row lookup (getOnlineFeatures of user_stats only: one single-key MGET, what a cluster lookup sends per node). */
  redisCpuUsPerKeyRead: Measured;
  /** Redis server CPU microseconds per recommender lookup on one shard (getOnlineFeatures: one MGET of the user's 2 rows). */
  redisCpuUsPerLookup: Measured;
  /** Highest paced request rate one recommender process held with p95 < 50 ms on this shared machine (0: none). */
  recommenderRpsP95Under50: Measured;
  /** Highest paced request rate one recommender process held with p95 < 200 ms. */
  recommenderRpsP95Under200: Measured;
  /** Recommender process CPU milliseconds per request (user + system, worker threads included) during the sweep. */
  recommenderCpuMsPerRequest: Measured;
  /** Stream events one `frec stream` process applies per CPU second (online + offline writes). */
  streamEventsPerCpuSecond: Measured;
  /** Rows per second `frec materialize` writes into Redis (20 features per row), wall clock on this shared machine. */
  materializeRowsPerSecond: Measured;
  /** The same rows per CPU second of the materializing process (DuckDB included) plus the Redis server. */
  materializeRowsPerCpuSecond: Measured;
  /** Cores one idle recommender process uses (timers, reload checks): a fixed cost per pod. */
  recommenderIdleCores: Measured;
}

/** What the model assumes; every value is stated in docs/capacity.md. */
export interface Assumptions {
  /** Monthly users whose rows are online (materialization writes every user with history). */
  onlineUserShare: number;
  /** Items in the catalog. */
  catalogItems: number;
  /** Recommendation requests per second at peak. */
  peakRequestsPerSecond: number;
  /** getOnlineFeatures calls per recommendation (one: the user's batch and stream rows together). */
  lookupsPerRequest: number;
  /** Online keys one lookup reads (user_stats, user_recent). */
  keysPerLookup: number;
  /** Stream events per recommendation request at peak (interactions the app publishes). */
  eventsPerRequest: number;
  /** Share of a pod's sustainable rate it runs at peak: the HPA's CPU target; covers a lost zone of 3. */
  podUtilization: number;
  /** Share of a Redis master's CPU reads may use at peak (writes, replication, failover take the rest). */
  redisCpuUtilization: number;
  /** Memory of one Redis node, GiB. */
  redisNodeMemoryGiB: number;
  /** maxmemory as a share of the node's memory. */
  maxmemoryShare: number;
  /** Share of maxmemory data may fill before a reshard (deploy/README.md: ~60%). */
  fillShare: number;
  /** Allocator fragmentation over MEMORY USAGE (jemalloc's mem_fragmentation_ratio in steady state). */
  fragmentation: number;
  /** Replicas per master. */
  replicasPerMaster: number;
  /** Minimum masters (the production setting). */
  minMasters: number;
  /** CPU cores a recommender pod requests (its one event loop plus the tower threads' share). */
  recommenderPodCores: number;
  /** CPU cores a stream worker pod requests. */
  streamWorkerCores: number;
  /** Share of a worker's core the lag autoscaler lets it use before adding a worker. */
  streamWorkerUtilization: number;
  minStreamWorkers: number;
  /** Hours the daily materialization may take. */
  materializeWindowHours: number;
  /** Cores the materialization job has (its CronJob's request), Redis's share included. */
  materializeCores: number;
  /** Rows materialized per user per day (user_stats; user_recent is kept online by the stream). */
  materializedRowsPerUser: number;
}

export const DEFAULT_ASSUMPTIONS: Assumptions = {
  onlineUserShare: 1,
  catalogItems: 100_000,
  peakRequestsPerSecond: 10_000,
  lookupsPerRequest: 1,
  keysPerLookup: 2,
  eventsPerRequest: 1,
  podUtilization: 0.6,
  redisCpuUtilization: 0.5,
  redisNodeMemoryGiB: 13,
  maxmemoryShare: 0.75,
  fillShare: 0.6,
  fragmentation: 1.2,
  replicasPerMaster: 1,
  minMasters: 3,
  recommenderPodCores: 1,
  streamWorkerCores: 0.5,
  streamWorkerUtilization: 0.6,
  minStreamWorkers: 2,
  materializeWindowHours: 1,
  materializeCores: 2,
  materializedRowsPerUser: 1,
};

/**
 * Requests/s one dedicated core holds with p95 under `p95Ms`, from the CPU milliseconds a request
 * costs: the event loop as an M/M/1 queue, whose response time's p95 is S ln(20) / (1 - rho). On a
 * shared machine the latency a sweep measures is mostly waiting for a core other jobs hold; the
 * CPU per request is what travels to a dedicated core. Exponential service is conservative for
 * a request path of near-constant cost (M/D/1 queues less).
 */
export function perCoreRate(cpuMsPerRequest: number, p95Ms: number): number {
  const rho = Math.max(0, 1 - (cpuMsPerRequest * Math.log(20)) / p95Ms);
  return (rho * 1000) / cpuMsPerRequest;
}

/** The fleet for one user count, with the intermediate quantities the doc prints. */
export interface Fleet {
  monthlyUsers: number;
  recommenderPods: number;
  /** Pods if the budget were p95 < 50 ms instead of the seed's 200 ms. */
  recommenderPodsP95Under50: number;
  recommenderCores: number;
  /** Requests/s one core holds at p95 < 200 ms and < 50 ms (perCoreRate of the measured CPU per request). */
  rpsPerCoreP95Under200: number;
  rpsPerCoreP95Under50: number;
  /** Requests/s one pod is planned at (its cores' p95 < 200 ms rate times the utilization target). */
  plannedRpsPerPod: number;
  onlineDataGiB: number;
  redisMastersForMemory: number;
  redisMastersForReads: number;
  redisMasters: number;
  redisNodes: number;
  redisMemoryGiB: number;
  /** Reads/s one master serves at the planned CPU share, for the recommender's lookup in a cluster of `redisMasters`. */
  readsPerSecondPerShard: number;
  streamEventsPerSecond: number;
  streamWorkers: number;
  streamWorkerCores: number;
  materializeRows: number;
  materializeHours: number;
  materializeJobs: number;
  totalCores: number;
}

/**
 * Nodes a lookup's keys land on in a cluster of `masters` (no hash tags, ADR 0021): the expected
 * number of distinct masters among `keys` uniformly spread keys. Each is one MGET command.
 */
export function nodesPerLookup(keys: number, masters: number): number {
  return masters * (1 - (1 - 1 / masters) ** keys);
}

/**
 * Redis CPU microseconds per lookup on the masters of a cluster: one single-key MGET per node hit,
 * except on one shard, where the lookup is the measured one-MGET cost.
 */
export function redisCpuUsPerClusterLookup(m: MeasuredInputs, a: Assumptions, masters: number): number {
  if (masters === 1) return m.redisCpuUsPerLookup.value;
  const perNodeKeys = a.keysPerLookup / nodesPerLookup(a.keysPerLookup, masters);
  // An MGET's cost grows with its keys; scale the single-key cost by keys per command, on top of the per-command cost.
  const perKeyExtra = Math.max(0, (m.redisCpuUsPerLookup.value - m.redisCpuUsPerKeyRead.value) / (a.keysPerLookup - 1 || 1));
  return nodesPerLookup(a.keysPerLookup, masters) * (m.redisCpuUsPerKeyRead.value + (perNodeKeys - 1) * perKeyExtra);
}

/** Sizes the fleet for `monthlyUsers` at the assumptions' peak. */
export function sizeFleet(monthlyUsers: number, m: MeasuredInputs, a: Assumptions = DEFAULT_ASSUMPTIONS): Fleet {
  const rpsPerCoreP95Under200 = perCoreRate(m.recommenderCpuMsPerRequest.value, 200);
  const rpsPerCoreP95Under50 = perCoreRate(m.recommenderCpuMsPerRequest.value, 50);
  // A pod's idle work (timers, reload checks) comes off the core before requests get it.
  const requestCores = Math.max(0, a.recommenderPodCores - m.recommenderIdleCores.value);
  const plannedRpsPerPod = rpsPerCoreP95Under200 * requestCores * a.podUtilization;
  const recommenderPods = Math.max(3, Math.ceil(a.peakRequestsPerSecond / plannedRpsPerPod));
  const gib = 2 ** 30;
  const onlineBytes = (monthlyUsers * a.onlineUserShare * m.bytesPerUser.value + a.catalogItems * m.bytesPerItem.value) * a.fragmentation;
  const usablePerMaster = a.redisNodeMemoryGiB * gib * a.maxmemoryShare * a.fillShare;
  const redisMastersForMemory = Math.ceil(onlineBytes / usablePerMaster);
  // Reads: find the smallest master count whose per-master CPU stays under the planned share.
  let redisMastersForReads = 1;
  for (;;) {
    const cpuUs = redisCpuUsPerClusterLookup(m, a, redisMastersForReads) * a.lookupsPerRequest * a.peakRequestsPerSecond;
    if (cpuUs / redisMastersForReads <= 1e6 * a.redisCpuUtilization) break;
    redisMastersForReads++;
  }
  const redisMasters = Math.max(a.minMasters, redisMastersForMemory, redisMastersForReads);
  const readsPerSecondPerShard = (1e6 * a.redisCpuUtilization) / (redisCpuUsPerClusterLookup(m, a, redisMasters) / redisMasters);
  const streamEventsPerSecond = a.peakRequestsPerSecond * a.eventsPerRequest;
  const perWorker = m.streamEventsPerCpuSecond.value * a.streamWorkerCores * a.streamWorkerUtilization;
  const streamWorkers = Math.max(a.minStreamWorkers, Math.ceil(streamEventsPerSecond / perWorker));
  const materializeRows = monthlyUsers * a.onlineUserShare * a.materializedRowsPerUser + a.catalogItems * 3;
  const materializeHours = materializeRows / (m.materializeRowsPerCpuSecond.value * a.materializeCores) / 3600;
  const materializeJobs = Math.ceil(materializeHours / a.materializeWindowHours);
  const recommenderCores = recommenderPods * a.recommenderPodCores;
  return {
    monthlyUsers,
    recommenderPods,
    recommenderPodsP95Under50: Math.max(3, Math.ceil(a.peakRequestsPerSecond / (rpsPerCoreP95Under50 * requestCores * a.podUtilization))),
    recommenderCores,
    rpsPerCoreP95Under200,
    rpsPerCoreP95Under50,
    plannedRpsPerPod,
    onlineDataGiB: onlineBytes / gib,
    redisMastersForMemory,
    redisMastersForReads,
    redisMasters,
    redisNodes: redisMasters * (1 + a.replicasPerMaster),
    redisMemoryGiB: redisMasters * (1 + a.replicasPerMaster) * a.redisNodeMemoryGiB,
    readsPerSecondPerShard,
    streamEventsPerSecond,
    streamWorkers,
    streamWorkerCores: streamWorkers * a.streamWorkerCores,
    materializeRows,
    materializeHours,
    materializeJobs,
    totalCores: recommenderCores + streamWorkers * a.streamWorkerCores,
  };
}

/**
 * The throughput (requests/s at p95 < 200 ms) the model predicts for `processes` recommender
 * processes on `masters` Redis masters, run flat out (utilization 1, as the simulation does):
 * the smaller of the pods' bound (processes x the rate one process held, measured on the same
 * machine) and the masters' read bound.
 */
export function predictThroughput(
  m: MeasuredInputs,
  size: { processes: number; masters: number },
  a: Assumptions = DEFAULT_ASSUMPTIONS,
): { predicted: number; podBound: number; redisBound: number } {
  const podBound = size.processes * m.recommenderRpsP95Under200.value;
  const redisBound = (size.masters * 1e6) / (redisCpuUsPerClusterLookup(m, a, size.masters) * a.lookupsPerRequest);
  return { predicted: Math.min(podBound, redisBound), podBound, redisBound };
}
