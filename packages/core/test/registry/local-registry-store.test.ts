import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { LocalRegistryStore, type RegistryStore } from '../../src/spi.js';
import { registryStoreConformance } from './registry-store-conformance.js';

const root = mkdtempSync(path.join(tmpdir(), 'frec-local-registry-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

registryStoreConformance('local file', () => ({
  newStore: async () => new LocalRegistryStore(path.join(root, `r${n++}`, 'registry.json')),
  sameLocation: async (s: RegistryStore) => new LocalRegistryStore(s.location),
  readRaw: async (s) => readFile(s.location).catch(() => null),
  writeRaw: async (s, bytes) => {
    await mkdir(path.dirname(s.location), { recursive: true });
    await writeFile(s.location, bytes);
  },
}));
