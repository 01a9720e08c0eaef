import { describe, expect, it } from 'vitest';
import { ErrorCode, RequestError, StoreError } from '@frec/core';
import { StoreGuard } from '../src/store-guard.js';

const outage = (): Promise<never> => Promise.reject(new StoreError(ErrorCode.ONLINE_STORE_UNAVAILABLE, 'down'));
const codeOf = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'ok',
    (e: { code: string }) => e.code,
  );
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('StoreGuard', () => {
  it('opens after `threshold` consecutive outages, fails fast without calling the store, then closes on a good trial', async () => {
    const guard = new StoreGuard({ timeoutMs: 10_000, threshold: 3, resetMs: 200 });
    for (let i = 0; i < 3; i++) expect(await codeOf(guard.run(outage))).toBe(ErrorCode.ONLINE_STORE_UNAVAILABLE);
    let calls = 0;
    const counted = async (): Promise<number> => ++calls;
    expect(await codeOf(guard.run(counted))).toBe(ErrorCode.ONLINE_STORE_UNAVAILABLE);
    expect(calls).toBe(0);
    await sleep(400);
    // The trial fails: open again, still without calling the store in between.
    expect(await codeOf(guard.run(outage))).toBe(ErrorCode.ONLINE_STORE_UNAVAILABLE);
    expect(await codeOf(guard.run(counted))).toBe(ErrorCode.ONLINE_STORE_UNAVAILABLE);
    expect(calls).toBe(0);
    await sleep(400);
    expect(await guard.run(counted)).toBe(1);
    expect(await guard.run(counted)).toBe(2);
  });

  it('does not count bad requests or interrupted runs of outages', async () => {
    const guard = new StoreGuard({ timeoutMs: 10_000, threshold: 2, resetMs: 60_000 });
    const bad = (): Promise<never> => Promise.reject(new RequestError(ErrorCode.INVALID_REQUEST, 'bad'));
    for (let i = 0; i < 5; i++) expect(await codeOf(guard.run(bad))).toBe(ErrorCode.INVALID_REQUEST);
    expect(await codeOf(guard.run(outage))).toBe(ErrorCode.ONLINE_STORE_UNAVAILABLE);
    expect(await guard.run(async () => 'fine')).toBe('fine');
    expect(await codeOf(guard.run(outage))).toBe(ErrorCode.ONLINE_STORE_UNAVAILABLE);
    // One outage since the last success: still closed.
    expect(await guard.run(async () => 'still')).toBe('still');
  });

  it('answers ONLINE_STORE_TIMEOUT when the store does not answer by the deadline, and a synchronous throw as it is', async () => {
    const guard = new StoreGuard({ timeoutMs: 50, threshold: 5, resetMs: 60_000 });
    expect(await codeOf(guard.run(() => new Promise(() => undefined)))).toBe(ErrorCode.ONLINE_STORE_TIMEOUT);
    const sync = (): Promise<never> => {
      throw new RequestError(ErrorCode.INVALID_REQUEST, 'thrown');
    };
    expect(await codeOf(guard.run(sync))).toBe(ErrorCode.INVALID_REQUEST);
  });

  it('times out each hung call by its own deadline while calls before and after it answer (one shared timer)', async () => {
    const guard = new StoreGuard({ timeoutMs: 80, threshold: 100, resetMs: 60_000 });
    const quick = guard.run(() => Promise.resolve('first'));
    await sleep(30);
    const t0 = performance.now();
    const hung = codeOf(guard.run(() => new Promise(() => undefined)));
    const slow = guard.run(() => sleep(20).then(() => 'slow'));
    expect(await quick).toBe('first');
    expect(await slow).toBe('slow');
    expect(await hung).toBe(ErrorCode.ONLINE_STORE_TIMEOUT);
    // The hung call waited its own 80 ms, not the deadline of the call before it.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(75);
    const many = Array.from({ length: 50 }, (_, i) =>
      codeOf(guard.run(() => (i % 2 === 0 ? Promise.resolve(i) : new Promise(() => undefined)))),
    );
    const codes = await Promise.all(many);
    expect(codes.filter((c) => c === 'ok')).toHaveLength(25);
    expect(codes.filter((c) => c === ErrorCode.ONLINE_STORE_TIMEOUT)).toHaveLength(25);
  });
});
