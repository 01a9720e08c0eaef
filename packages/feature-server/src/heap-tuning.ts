import v8 from 'node:v8';

/**
 * Turns off V8's allocation-site pretenuring in a serving process, unless
 * FREC_V8_PRETENURING=1. A process reading 500-key MGETs could settle for its whole life into a
 * regime where ioredis's reply buffers are allocated straight into the old generation: scavenges
 * then take ~2 ms instead of ~0.3 ms and old-space collections run 5x as often, and a read's p99
 * triples (ADR 0024, bench/online/read-runs.ts). Raw ioredis shows the same two regimes.
 * Returns whether the flag was set.
 */
export function tuneHeapForServing(): boolean {
  if (process.env.FREC_V8_PRETENURING === '1') return false;
  v8.setFlagsFromString('--no-allocation-site-pretenuring');
  return true;
}
