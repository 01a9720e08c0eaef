import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

/** A moto S3 server on a free loopback port, stopped by `stop()` (or `await using`). */
export interface MotoServer {
  endpoint: string;
  client: S3Client;
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Credentials moto accepts; set for child processes (`frec apply`) too. */
export const MOTO_ENV = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' } as const;

/**
 * moto_server's own app, served one request at a time. moto checks If-Match / If-None-Match and
 * then writes as two steps; under its default threaded server two conditional PUTs can both pass
 * the check (seen in 2 of 100 rounds of two read-then-write clients). S3 makes the check and the
 * write atomic, and serving requests one by one gives moto the same semantics.
 */
const SINGLE_THREADED_MOTO = `
import sys
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
run_simple('127.0.0.1', int(sys.argv[1]), DomainDispatcherApplication(create_backend_app), threaded=False)
`;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Spawns a server and waits until it answers on `endpoint`; null if it exits first. */
async function launch(command: string, args: string[], endpoint: string): Promise<ChildProcess | null> {
  const child = spawn(command, args, { stdio: 'ignore' });
  let failed = false;
  child.once('error', () => {
    failed = true;
  });
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (failed || child.exitCode !== null || child.signalCode !== null) return null;
    try {
      const res = await fetch(`${endpoint}/moto-api/`);
      if (res.status < 500) return child;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto server did not start on ${endpoint}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts moto's S3 server on a free loopback port and waits until it answers. */
export async function startMotoServer(): Promise<MotoServer> {
  Object.assign(process.env, MOTO_ENV);
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  let child = await launch('python3', ['-c', SINGLE_THREADED_MOTO, String(port)], endpoint);
  if (!child) {
    // python3 is not the interpreter moto is installed for: use moto_server itself (threaded).
    console.warn('moto: single-threaded launch failed; falling back to threaded moto_server (see ADR 0002)');
    child = await launch('moto_server', ['-H', '127.0.0.1', '-p', String(port)], endpoint);
    if (!child) throw new Error('moto_server could not be started: install moto[server] (pip install "moto[server]")');
  }
  const server = child;
  const client = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: MOTO_ENV.AWS_REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const stop = async (): Promise<void> => {
    client.destroy();
    if (server.exitCode !== null) return;
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    const timer = setTimeout(() => server.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  return {
    endpoint,
    client,
    createBucket: async (name) => {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
