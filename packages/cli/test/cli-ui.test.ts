import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frec, FREC_BIN } from './run-frec.js';

const root = mkdtempSync(path.join(tmpdir(), 'frec-cli-ui-'));
const demo = path.join(root, 'demo');
const KEY = 'cli-ui-key';
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

/** Starts `frec ...args` and resolves with the first stdout line that `match` accepts. */
function start(args: string[], match: (line: string) => unknown): Promise<{ child: ChildProcess; found: any }> {
  const child = spawn(FREC_BIN, args, {
    cwd: demo,
    env: { ...process.env, FREC_API_KEYS: KEY, FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    child.once('exit', (code) => reject(new Error(`frec ${args.join(' ')} exited ${code}: ${stderr}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const found = match(line);
      if (found) resolve({ child, found });
    });
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));
}

describe('frec ui and frec serve --ui', () => {
  beforeAll(async () => {
    expect((await frec(['init', 'demo'], { cwd: root })).code).toBe(0);
    const apply = await frec(['apply'], { cwd: demo });
    expect(apply.code, apply.stderr).toBe(0);
  });

  it('documents its options', async () => {
    const help = await frec(['ui', '--help'], { cwd: demo });
    expect(help.code).toBe(0);
    for (const o of [
      '--host',
      '--port',
      '--api-key',
      '--metrics-url',
      '--model-registry',
      '--feature-log',
      '--skew-reports',
      '--max-lag',
      '--stage-budget',
    ]) {
      expect(help.stdout).toContain(o);
    }
    expect((await frec(['serve', '--help'], { cwd: demo })).stdout).toContain('--ui');
    const bad = await frec(['--json', 'ui', '--stage-budget', 'ranking'], { cwd: demo });
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stderr).error.code).toBe('INVALID_CONFIG');
  });

  it('frec ui prints its address as JSON, binds loopback, needs the key, and stops on SIGTERM', async () => {
    const { child, found } = await start(['--json', 'ui', '--port', '0'], (l) => (l.startsWith('{') ? JSON.parse(l) : null));
    expect(found).toMatchObject({ host: '127.0.0.1', project: 'demo', auth: true });
    expect(found.url).toBe(`http://127.0.0.1:${found.port}/ui/`);
    const api = `http://127.0.0.1:${found.port}/api`;
    expect((await fetch(`${api}/overview`)).status).toBe(401);
    const overview = (await (await fetch(`${api}/overview`, { headers: { 'x-api-key': KEY } })).json()) as any;
    expect(overview).toMatchObject({ project: 'demo', generation: 1, counts: { featureViews: 1, onDemandFeatureViews: 1 } });
    expect((await fetch(found.url)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${found.port}/`, { redirect: 'manual' })).headers.get('location')).toBe('/ui/');
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
  });

  it('frec serve --ui mounts the console in the feature server, behind its keys', async () => {
    const { child, found } = await start(['serve', '--ui', '--port', '0'], (l) => {
      const j = l.startsWith('{') ? JSON.parse(l) : null;
      return j?.msg === 'feature server listening' ? j : null;
    });
    const base = found.url as string;
    expect((await fetch(`${base}/ui/`)).status).toBe(200);
    expect((await fetch(`${base}/api/catalog?q=conv`)).status).toBe(401);
    const cat = (await (await fetch(`${base}/api/catalog?q=conv_rate`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as any;
    expect(cat.items[0]).toMatchObject({ kind: 'features', name: 'conv_rate', view: 'driver_hourly_stats' });
    // Its serving page reads this process's own metrics.
    const serving = (await (await fetch(`${base}/api/serving`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as any;
    expect(serving.sources).toEqual([{ name: 'feature-server', ok: true, error: null }]);
    expect((await fetch(`${base}/health`)).status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
  });
});
