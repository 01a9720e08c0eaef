import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fleetTable, inputsTable } from '../bench/capacity/doc-tables.js';
import {
  DEFAULT_ASSUMPTIONS,
  nodesPerLookup,
  perCoreRate,
  predictThroughput,
  redisCpuUsPerClusterLookup,
  sizeFleet,
  type MeasuredInputs,
} from '../bench/capacity/model.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const at = (value: number) => ({ value, load: 1 });
/** Round inputs whose consequences can be worked out by hand. */
const inputs: MeasuredInputs = {
  bytesPerUser: at(500),
  bytesPerItem: at(400),
  redisCpuUsPerKeyRead: at(6),
  redisCpuUsPerLookup: at(8),
  recommenderRpsP95Under50: at(50),
  recommenderRpsP95Under200: at(100),
  recommenderCpuMsPerRequest: at(2),
  streamEventsPerCpuSecond: at(20_000),
  materializeRowsPerSecond: at(100_000),
  materializeRowsPerCpuSecond: at(50_000),
  recommenderIdleCores: at(0.05),
};

describe('capacity model (bench/capacity/model.ts)', () => {
  it('counts the cluster nodes a lookup hits: one on one shard, 2 - 1/S for 2 keys over S masters', () => {
    expect(nodesPerLookup(2, 1)).toBe(1);
    expect(nodesPerLookup(2, 3)).toBeCloseTo(5 / 3, 12);
    expect(nodesPerLookup(1, 7)).toBeCloseTo(1, 12);
    expect(nodesPerLookup(2, 1000)).toBeCloseTo(2 - 1 / 1000, 12);
    // One shard: the measured lookup; more: per node hit, the one-row cost (2 keys, 3 masters: 5/3 x 6 us + the extra keys' share).
    expect(redisCpuUsPerClusterLookup(inputs, DEFAULT_ASSUMPTIONS, 1)).toBe(8);
    expect(redisCpuUsPerClusterLookup(inputs, DEFAULT_ASSUMPTIONS, 3)).toBeCloseTo((5 / 3) * (6 + (2 / (5 / 3) - 1) * 2), 9);
  });

  it('holds p95 under the budget per core by the M/M/1 bound, and nothing once one request costs the budget', () => {
    // S = 2 ms: rho = 1 - 2 ln 20 / 200.
    expect(perCoreRate(2, 200)).toBeCloseTo((1 - (2 * Math.log(20)) / 200) * 500, 9);
    expect(perCoreRate(2, 50)).toBeLessThan(perCoreRate(2, 200));
    expect(perCoreRate(4, 200)).toBeLessThan(perCoreRate(2, 200) / 2 + 1e-9);
    expect(perCoreRate(20, 50)).toBe(0);
  });

  it('sizes pods, Redis, workers and materialization from the inputs and the stated assumptions', () => {
    const a = DEFAULT_ASSUMPTIONS;
    const fl = sizeFleet(12e6, inputs);
    const perPod = perCoreRate(2, 200) * (a.recommenderPodCores - 0.05) * a.podUtilization;
    expect(fl.recommenderPods).toBe(Math.ceil(a.peakRequestsPerSecond / perPod));
    expect(fl.recommenderPodsP95Under50).toBe(Math.ceil(a.peakRequestsPerSecond / (perCoreRate(2, 50) * 0.95 * a.podUtilization)));
    const bytes = (12e6 * 500 + a.catalogItems * 400) * a.fragmentation;
    expect(fl.onlineDataGiB).toBeCloseTo(bytes / 2 ** 30, 9);
    expect(fl.redisMastersForMemory).toBe(Math.ceil(bytes / (a.redisNodeMemoryGiB * 2 ** 30 * a.maxmemoryShare * a.fillShare)));
    expect(fl.redisMasters).toBe(Math.max(3, fl.redisMastersForMemory, fl.redisMastersForReads));
    expect(fl.redisNodes).toBe(fl.redisMasters * 2);
    // The read bound: the smallest master count whose per-master CPU stays under the planned share.
    const perMaster = (s: number) => (redisCpuUsPerClusterLookup(inputs, a, s) * a.peakRequestsPerSecond) / s;
    expect(perMaster(fl.redisMastersForReads)).toBeLessThanOrEqual(1e6 * a.redisCpuUtilization);
    if (fl.redisMastersForReads > 1) expect(perMaster(fl.redisMastersForReads - 1)).toBeGreaterThan(1e6 * a.redisCpuUtilization);
    expect(fl.streamWorkers).toBe(Math.max(2, Math.ceil(10_000 / (20_000 * 0.5 * 0.6))));
    expect(fl.materializeHours).toBeCloseTo((12e6 + 3 * a.catalogItems) / (50_000 * a.materializeCores) / 3600, 9);
  });

  it('grows with the users where it should and stays put where it should not', () => {
    const small = sizeFleet(12e6, inputs);
    const big = sizeFleet(50e6, inputs);
    expect(big.recommenderPods).toBe(small.recommenderPods);
    expect(big.streamWorkers).toBe(small.streamWorkers);
    expect(big.onlineDataGiB).toBeGreaterThan(small.onlineDataGiB * 4);
    expect(big.redisMasters).toBeGreaterThanOrEqual(small.redisMasters);
    expect(big.materializeHours).toBeGreaterThan(small.materializeHours * 4);
  });

  it("predicts a size's throughput as the smaller of its processes' and its masters' bounds", () => {
    const p = predictThroughput(inputs, { processes: 2, masters: 3 });
    expect(p.podBound).toBe(200);
    expect(p.redisBound).toBeCloseTo(3e6 / redisCpuUsPerClusterLookup(inputs, DEFAULT_ASSUMPTIONS, 3), 6);
    expect(p.predicted).toBe(200);
    const slowRedis = { ...inputs, redisCpuUsPerKeyRead: at(20_000), redisCpuUsPerLookup: at(30_000) };
    expect(predictThroughput(slowRedis, { processes: 2, masters: 3 }).predicted).toBeLessThan(200);
  });

  it('docs/capacity.md shows the tables the model gives for the measured inputs it records (bench/capacity/measured.json)', () => {
    const measured = JSON.parse(readFileSync(path.join(ROOT, 'bench/capacity/measured.json'), 'utf8')) as { inputs: MeasuredInputs };
    const doc = readFileSync(path.join(ROOT, 'docs/capacity.md'), 'utf8');
    expect(doc).toContain(inputsTable(measured.inputs));
    expect(doc).toContain(fleetTable(measured.inputs));
  });
});
