import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { REDIS_URL, testRepo, type TestRepo } from './materialize-fixture.js';
import { deleteKeysWithPrefix } from '@frec/online/testing';

const FREC = path.resolve(__dirname, '../../../node_modules/.bin/frec');
const USERS = 20_000;

/** Runs `frec materialize`; with `killOn`, SIGKILLs it `delayMs` after that text appears on stderr. */
function runCli(
  dir: string,
  killOn?: { text: string; delayMs: number },
): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      FREC,
      [
        '-c',
        dir,
        '--json',
        'materialize',
        '2025-01-01T00:00:00Z',
        '2027-01-01T00:00:00Z',
        '--views',
        'user_stats',
        '--batch-size',
        '2000',
        '--parallelism',
        '1',
        '--progress-every',
        '0',
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    let armed = false;
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => {
      stderr += String(d);
      if (killOn && !armed && stderr.includes(killOn.text)) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), killOn.delayMs);
      }
    });
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

describe('frec materialize killed half way', () => {
  let repo: TestRepo;
  beforeAll(async () => {
    repo = await testRepo();
    await repo.writeUsers('big', USERS, 1, 20 * 86_400_000);
  });
  afterAll(async () => {
    await repo?.dispose();
  });

  async function clearOnline(): Promise<void> {
    const r = new Redis(REDIS_URL);
    await deleteKeysWithPrefix(r, repo.prefix);
    r.disconnect();
  }

  it('reruns to exactly the state of one clean run, and moves the watermark only when complete', async () => {
    // Killed a seeded moment after its first batch is written online.
    const killed = await runCli(repo.dir, { text: 'phase=batch', delayMs: 37 });
    expect(killed.signal).toBe('SIGKILL');
    const partial = await repo.dumpOnline();
    expect(partial.size, 'the kill should land half way').toBeGreaterThan(100);
    expect(partial.size).toBeLessThan(USERS);
    expect((await repo.store.registry.materializationState('user_stats')).watermark).toBeNull();

    const rerun = await runCli(repo.dir);
    expect(rerun.code, rerun.stderr).toBe(0);
    const summary = JSON.parse(rerun.stdout) as { rows: number; views: Array<{ view: string; rows: number; skippedOlder: number }> };
    expect(summary.views[0]).toMatchObject({ view: 'user_stats', rows: USERS });
    expect(rerun.stderr).toMatch(/materialize view=user_stats phase=done rows=20000/);
    // Rows only: schema keys of other views, written by apply, are not materialization's business.
    const rowsOf = (m: Map<string, string>) => new Map([...m].filter(([k]) => k.startsWith(`${repo.prefix}mattest:user_stats:`)));
    const afterCrash = rowsOf(await repo.dumpOnline());

    await clearOnline();
    const clean = await runCli(repo.dir);
    expect(clean.code, clean.stderr).toBe(0);
    const cleanRun = rowsOf(await repo.dumpOnline());
    expect(afterCrash.size).toBe(USERS);
    expect(cleanRun.size).toBe(USERS);
    expect(afterCrash).toEqual(cleanRun);
    expect((await repo.store.registry.materializationState('user_stats')).watermark).toBe('2027-01-01T00:00:00.000Z');
  }, 90_000);

  it('fails with a clear message and exit code 1 on a bad time', async () => {
    const res = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(FREC, ['-c', repo.dir, 'materialize', 'yesterday', 'now'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += String(d)));
      child.on('exit', (code) => resolve({ code, stderr }));
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("error [INVALID_REQUEST]: START 'yesterday' is not a time.");
  });
});
