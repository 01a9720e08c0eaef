import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Builds the console's pages into ../dist-web, which is committed and served by @frec/ui as is
// (no build step on the user's machine). Preact's JSX through esbuild; no framework plugin.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/ui/',
  logLevel: 'warn',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact', legalComments: 'none' },
  build: {
    outDir: fileURLToPath(new URL('../dist-web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
    modulePreload: { polyfill: false },
  },
});
