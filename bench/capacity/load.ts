import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

/** The 1-minute load average, printed beside every figure (the machine is shared). */
export const load1 = (): number => Number(os.loadavg()[0]!.toFixed(2));

const TICKS = 100; // USER_HZ on Linux

/** CPU seconds (user + system, all threads) a process has used so far, from /proc/<pid>/stat. */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICKS;
}

/** Result of one paced run over one or more servers. */
export interface PacedResult {
  offered: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  total: number;
  /** CPU seconds the watched processes used during the run. */
  cpuSeconds: number;
  /** Wall seconds from the first planned start to the last response. */
  elapsed: number;
}

/** CPU cores the processes use while idle (timers, background reloads), measured over `ms`. */
export async function idleCores(pids: number[], ms: number): Promise<number> {
  const cpu = (): number => pids.reduce((s, p) => s + processCpuSeconds(p), 0);
  const c0 = cpu();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  return (cpu() - c0) / ((performance.now() - t0) / 1000);
}

/** CPU milliseconds per request over runs, less what the processes burn when idle. */
export function marginalCpuMs(runs: PacedResult[], idle: number): number {
  const ok = runs.filter((r) => r.errors === 0);
  const cpu = ok.reduce((s, r) => s + Math.max(0, r.cpuSeconds - idle * r.elapsed), 0);
  return (
    (cpu * 1000) /
    Math.max(
      1,
      ok.reduce((s, r) => s + r.total, 0),
    )
  );
}

/**
 * Open-loop load at a fixed total rate, arrivals evenly spaced and dealt round-robin over the
 * targets (a load balancer's round robin). Latency runs from each request's planned start, so a
 * late generator counts against the servers (no coordinated omission); as bench/recommend/paced-load.ts.
 */
export async function pacedRun(
  urls: string[],
  opts: { rate: number; seconds: number; connectionsPerTarget: number; body: () => string; watchPids?: number[] },
): Promise<PacedResult> {
  const targets = urls.map((u) => ({
    url: new URL('/recommendations', u),
    agent: new Agent({ keepAlive: true, maxSockets: opts.connectionsPerTarget }),
  }));
  const total = Math.round(opts.rate * opts.seconds);
  const latencies = new Float64Array(total);
  let done = 0;
  let errors = 0;
  let sent = 0;
  const cpu0 = (opts.watchPids ?? []).reduce((s, p) => s + processCpuSeconds(p), 0);
  const start = performance.now() + 5;
  let finish!: () => void;
  const allDone = new Promise<void>((r) => (finish = r));
  const complete = (i: number, ok: boolean): void => {
    latencies[i] = performance.now() - (start + (i * 1000) / opts.rate);
    if (!ok) errors++;
    if (++done === total) finish();
  };
  const send = (i: number): void => {
    const t = targets[i % targets.length]!;
    const body = opts.body();
    const req = request(
      t.url,
      { method: 'POST', agent: t.agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => complete(i, res.statusCode === 200));
        res.on('error', () => complete(i, false));
      },
    );
    req.on('error', () => complete(i, false));
    req.end(body);
  };
  const tick = (): void => {
    const due = Math.min(total, Math.floor(((performance.now() - start) * opts.rate) / 1000) + 1);
    while (sent < due) send(sent++);
    if (sent < total) setTimeout(tick, Math.max(0, start + (sent * 1000) / opts.rate - performance.now()));
  };
  setTimeout(tick, 5);
  if (total > 0) await allDone;
  for (const t of targets) t.agent.destroy();
  const elapsed = (performance.now() - start) / 1000;
  const cpuSeconds = (opts.watchPids ?? []).reduce((s, p) => s + processCpuSeconds(p), 0) - cpu0;
  const sorted = Array.from(latencies).sort((a, b) => a - b);
  const q = (x: number): number => sorted[Math.min(total - 1, Math.floor(x * total))] ?? NaN;
  return { offered: opts.rate, rps: total / elapsed, p50: q(0.5), p95: q(0.95), p99: q(0.99), errors, total, cpuSeconds, elapsed };
}

/** A run holds a rate when p95 is under the budget, nothing failed and it kept up (95% of the offered rate). */
export const holds = (r: PacedResult, p95Ms: number): boolean => r.p95 < p95Ms && r.errors === 0 && r.rps >= r.offered * 0.95;

/**
 * Sweeps offered rates upward from `start` by `factor` until p95 passes 200 ms (or requests fail),
 * then returns every run and the highest rates held under 50 and 200 ms.
 */
export async function sweep(
  urls: string[],
  opts: { start: number; factor: number; seconds: number; body: () => string; watchPids: number[]; log: (r: PacedResult) => void },
): Promise<{ runs: PacedResult[]; under50: PacedResult | undefined; under200: PacedResult | undefined }> {
  const runs: PacedResult[] = [];
  let under50: PacedResult | undefined;
  let under200: PacedResult | undefined;
  const at = async (rate: number): Promise<PacedResult> => {
    const r = await pacedRun(urls, { rate, seconds: opts.seconds, connectionsPerTarget: 32, body: opts.body, watchPids: opts.watchPids });
    runs.push(r);
    opts.log(r);
    if (holds(r, 50) && r.offered > (under50?.offered ?? 0)) under50 = r;
    if (holds(r, 200) && r.offered > (under200?.offered ?? 0)) under200 = r;
    return r;
  };
  let failed: number | undefined;
  for (let rate = opts.start, i = 0; i < 16; i++, rate = Math.round(rate * opts.factor)) {
    if (!holds(await at(rate), 200)) {
      failed = rate;
      break;
    }
  }
  // One bisection step between the last rate held and the first that was not.
  if (failed !== undefined && under200) await at(Math.round((failed + under200.offered) / 2));
  return { runs, under50, under200 };
}

/**
 * Closed loop: `perTarget` requests in flight per server, each sent when the last answered, until
 * `requests` have been answered (bounded by count, not time). On a machine whose cores other jobs
 * hold, this measures what the processes deliver with the CPU share they get, with no latency bound.
 */
export async function closedRun(
  urls: string[],
  opts: { perTarget: number; requests: number; body: () => string; watchPids: number[] },
): Promise<PacedResult> {
  const targets = urls.map((u) => ({
    url: new URL('/recommendations', u),
    agent: new Agent({ keepAlive: true, maxSockets: opts.perTarget }),
  }));
  const latencies: number[] = [];
  let errors = 0;
  let left = opts.requests;
  const one = (t: (typeof targets)[number]): Promise<void> =>
    new Promise((resolve) => {
      const body = opts.body();
      const t0 = performance.now();
      const done = (ok: boolean): void => {
        latencies.push(performance.now() - t0);
        if (!ok) errors++;
        resolve();
      };
      const req = request(
        t.url,
        { method: 'POST', agent: t.agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          res.resume();
          res.on('end', () => done(res.statusCode === 200));
          res.on('error', () => done(false));
        },
      );
      req.on('error', () => done(false));
      req.end(body);
    });
  const cpu = (): number => opts.watchPids.reduce((s, p) => s + processCpuSeconds(p), 0);
  const cpu0 = cpu();
  const start = performance.now();
  await Promise.all(
    targets.flatMap((t) =>
      Array.from({ length: opts.perTarget }, async () => {
        while (left-- > 0) await one(t);
      }),
    ),
  );
  const elapsed = (performance.now() - start) / 1000;
  const cpuSeconds = cpu() - cpu0;
  for (const t of targets) t.agent.destroy();
  const sorted = latencies.sort((a, b) => a - b);
  const q = (x: number): number => sorted[Math.min(sorted.length - 1, Math.floor(x * sorted.length))] ?? NaN;
  const total = sorted.length;
  return { offered: 0, rps: total / elapsed, p50: q(0.5), p95: q(0.95), p99: q(0.99), errors, total, cpuSeconds, elapsed };
}
