import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

/** Result of one paced run: achieved rate and latency quantiles (ms) measured from each request's planned start. */
export interface PacedResult {
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  total: number;
}

/**
 * Open-loop load at a fixed rate with evenly spaced arrivals. autocannon's `overallRate` lets each
 * connection send its whole per-second quota at the start of every second, so "60 req/s" arrives
 * as a burst of 60 at once and the measured latency is mostly that burst's queue. Here request i is
 * due at start + i/rate; latency runs from that planned time, so a late generator (or a full
 * connection pool) counts against the server instead of hiding it (no coordinated omission).
 */
export async function pacedRun(
  url: string,
  opts: { rate: number; seconds: number; connections: number; body: () => string },
): Promise<PacedResult> {
  const target = new URL('/recommendations', url);
  const agent = new Agent({ keepAlive: true, maxSockets: opts.connections });
  const total = Math.round(opts.rate * opts.seconds);
  const latencies = new Float64Array(total);
  let done = 0;
  let errors = 0;
  let sent = 0;
  const start = performance.now() + 5;
  let finish!: () => void;
  const allDone = new Promise<void>((r) => (finish = r));
  const complete = (i: number, ok: boolean): void => {
    latencies[i] = performance.now() - (start + (i * 1000) / opts.rate);
    if (!ok) errors++;
    if (++done === total) finish();
  };
  const send = (i: number): void => {
    const body = opts.body();
    const req = request(
      target,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
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
  agent.destroy();
  const elapsed = (performance.now() - start) / 1000;
  const sorted = Array.from(latencies).sort((a, b) => a - b);
  const q = (x: number): number => sorted[Math.min(total - 1, Math.floor(x * total))] ?? NaN;
  return { rps: total / elapsed, p50: q(0.5), p95: q(0.95), p99: q(0.99), errors, total };
}
