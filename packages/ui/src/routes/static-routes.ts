import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { FrecError } from '@frec/core';
import { ConsoleErrorCode } from '../console-errors.js';

/** The built pages shipped in the package (rebuilt by `npm run -w packages/ui build`). */
export const CONSOLE_ASSETS_DIR = fileURLToPath(new URL('../../dist-web/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/**
 * Scripts and styles only from this origin, no inline script, no framing: a name that slipped
 * through as markup could still not run. Styles set through the DOM (charts, layout) are allowed.
 */
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

interface Asset {
  body: Buffer;
  type: string;
}

function loadAssets(dir: string): Map<string, Asset> {
  if (!existsSync(path.join(dir, 'index.html'))) {
    throw new FrecError(ConsoleErrorCode.CONSOLE_ASSETS_MISSING, `The console's built pages are missing from ${dir}.`, {
      hint: 'Reinstall @frec/ui, or rebuild them with `npm run -w packages/ui build`.',
    });
  }
  const out = new Map<string, Asset>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = path.join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else
        out.set(path.relative(dir, full).split(path.sep).join('/'), {
          body: readFileSync(full),
          type: TYPES[path.extname(name)] ?? 'application/octet-stream',
        });
    }
  };
  walk(dir);
  return out;
}

/**
 * Serves the console's pages under /ui/ from memory. They hold no data (the pages fetch /api/,
 * which needs a key), so they are public routes: a browser can load the page and then ask for a key.
 * A handful of files read once did not warrant @fastify/static, whose routes cannot be marked public.
 */
export function registerStaticRoutes(app: FastifyInstance, dir = CONSOLE_ASSETS_DIR): void {
  const assets = loadAssets(dir);
  const index = assets.get('index.html')!;
  const config = { public: true };
  const sendIndex = async (_req: unknown, reply: import('fastify').FastifyReply) =>
    reply
      .header('content-type', index.type)
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-cache')
      .send(index.body);
  app.get('/ui', { config }, async (_req, reply) => reply.redirect('/ui/'));
  app.get('/ui/', { config }, sendIndex);
  app.get<{ Params: { '*': string } }>('/ui/*', { config }, async (request, reply) => {
    const file = assets.get(request.params['*']);
    // Unknown paths under /ui/ are page routes of the single-page app.
    if (!file || request.params['*'] === 'index.html') return sendIndex(request, reply);
    return reply
      .header('content-type', file.type)
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', request.params['*'].startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache')
      .send(file.body);
  });
}
