import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDailyArgs } from '../../src/daily/daily-cli.js';
import { tempFeatureRepo } from '../fixtures.js';
import { dailySource } from './daily-fixture.js';

const CLI = fileURLToPath(new URL('../../src/daily/daily-cli.ts', import.meta.url));
const root = mkdtempSync(path.join(tmpdir(), 'streamrec-daily-cli-'));
const repo = tempFeatureRepo();
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(repo, { recursive: true, force: true });
});
const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { encoding: 'utf8', timeout: 120_000 });

describe('npm run daily (the CronJob entry point)', () => {
  it('parses its options and rejects bad ones with a coded error naming the option', () => {
    const a = parseDailyArgs(['--day', '2018-09-16', '--rollout', 'canary', '--until', 'train', '--json']);
    expect(a.options).toMatchObject({ day: '2018-09-16', rollout: 'canary', until: 'train' });
    expect(a.json).toBe(true);
    expect(() => parseDailyArgs([])).toThrow(/--day is required/);
    expect(() => parseDailyArgs(['--day', '2018-02-30'])).toThrow(/not a calendar day/);
    expect(() => parseDailyArgs(['--day', '2018-09-16', '--until', 'deploy'])).toThrow(/--until 'deploy' is not a step/);
    expect(() => parseDailyArgs(['--day', '2018-09-16', '--frobnicate'])).toThrow(/Unknown option\(s\) --frobnicate/);
    expect(parseDailyArgs(['--day', '2018-09-16', '--retune', '--retune-every-days', '3']).options).toMatchObject({
      retune: true,
      retuneEveryDays: 3,
    });
    expect(parseDailyArgs(['--day', '2018-09-16']).options.retune).toBeUndefined();
    expect(() => parseDailyArgs(['--day', '2018-09-16', '--retune-every-days', '0'])).toThrow(
      /--retune-every-days '0' is not a whole number/,
    );
  });

  it('exit codes and --json: 64 on bad usage, 0 with the report for a day without events, 0 again when rerun', () => {
    const bad = run('--day', 'yesterday');
    expect(bad.status).toBe(64);
    expect(bad.stderr).toMatch(/^error \[INVALID_REQUEST\]: --day 'yesterday' is not a calendar day/);
    const help = run('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Exit codes: 0 done');

    const source = dailySource(path.join(root, 'source'));
    const args = ['--day', '2018-09-21', '--input', source, '--repo', repo, '--work-dir', path.join(root, 'work'), '--json'];
    const first = run(...args);
    expect(first.status, first.stderr).toBe(0);
    const report = JSON.parse(first.stdout) as { status: string; outcome: { kind: string } };
    expect(report).toMatchObject({ status: 'completed', outcome: { kind: 'no-events' } });
    // Progress goes to stderr under --json, so stdout stays one JSON document.
    expect(first.stderr).toContain('[daily 2018-09-21] slice: ');
    const second = run(...args);
    expect(second.status).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ status: 'already-done', outcome: { kind: 'no-events' } });
  }, 300_000);
});
