import http from 'node:http';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** One POST over a keep-alive agent; resolves to the status, rejects on anything but 200. */
export function postOnce(agent: http.Agent, port: number, urlPath: string, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: urlPath,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Starts `frec serve` (or another command printing the same listen line) and resolves once `expected` workers listen. */
export async function startServer(
  args: string[],
  expected = 1,
  command = path.resolve('node_modules/.bin/frec'),
): Promise<{ child: ChildProcess; port: number; stop(): Promise<void> }> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = out.split('\n').filter((l) => l.includes('"feature server listening"'));
      if (lines.length >= expected) {
        clearTimeout(timer);
        resolve((JSON.parse(lines[0]!) as { url: string }).url.split(':').pop() as unknown as number);
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  }).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
  return {
    child,
    port: Number(port),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
