import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emptyRegistry, LocalRegistryStore, Registry, type RegistryData, type RegistryStore } from '../../src/spi.js';

const root = mkdtempSync(path.join(tmpdir(), 'frec-registry-cache-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A real local store that counts how often storage is read. */
class CountingStore extends LocalRegistryStore {
  reads = 0;
  override async read() {
    this.reads++;
    return super.read();
  }
}

function withEntity(d: RegistryData, name: string): RegistryData {
  const n = structuredClone(d);
  n.generation += 1;
  n.entities[name] = {
    spec: { name, joinKey: name, valueType: 'string', description: '', tags: {}, owner: '' },
    createdAt: 'x',
    updatedAt: 'x',
    version: 1,
  };
  return n;
}

describe('Registry read cache', () => {
  it('serves reads from memory within the TTL, re-reads after it, and `fresh` bypasses it', async () => {
    const file = path.join(root, 'a', 'registry.json');
    const writer: RegistryStore = new LocalRegistryStore(file);
    await writer.write(withEntity(emptyRegistry('p'), 'first'), null);
    const store = new CountingStore(file);
    const reader = new Registry(store, 'p', 0.3);

    expect(Object.keys((await reader.data()).entities)).toEqual(['first']);
    for (let i = 0; i < 100; i++) await reader.data();
    expect(store.reads).toBe(1);

    const snap = (await writer.read())!;
    await writer.write(withEntity(snap.data, 'second'), snap.token);
    // Still inside the TTL: the cached (older) registry, no storage read.
    expect(Object.keys((await reader.data()).entities)).toEqual(['first']);
    expect(store.reads).toBe(1);
    // `fresh` always reads storage.
    expect(Object.keys((await reader.data({ fresh: true })).entities).sort()).toEqual(['first', 'second']);
    expect(store.reads).toBe(2);

    await new Promise((r) => setTimeout(r, 350));
    const before = performance.now();
    await reader.data();
    expect(store.reads).toBe(3);
    // The age counts from that re-read, however slow the machine is.
    expect(reader.ageSeconds()).toBeLessThanOrEqual((performance.now() - before) / 1000 + 0.01);
  });

  it('with a TTL of 0 reads storage every time', async () => {
    const file = path.join(root, 'b', 'registry.json');
    await new LocalRegistryStore(file).write(withEntity(emptyRegistry('p'), 'e'), null);
    const store = new CountingStore(file);
    const reader = new Registry(store, 'p', 0);
    for (let i = 0; i < 5; i++) await reader.data();
    expect(store.reads).toBe(5);
  });

  it('takes its TTL from registry.cache_ttl_seconds in feature_store.yaml', async () => {
    const { parseRepoConfig } = await import('../../src/index.js');
    const cfg = parseRepoConfig('project: p\nregistry:\n  path: data/registry.json\n  cache_ttl_seconds: 42\n', {
      file: 'feature_store.yaml',
      repoPath: root,
    });
    expect(cfg.registry.cache_ttl_seconds).toBe(42);
    const short = parseRepoConfig('project: p\nregistry: data/registry.json\n', { file: 'feature_store.yaml', repoPath: root });
    expect(short.registry.cache_ttl_seconds).toBe(5);
  });

  it('refuses a registry that belongs to another project', async () => {
    const file = path.join(root, 'c', 'registry.json');
    await new LocalRegistryStore(file).write(withEntity(emptyRegistry('other'), 'e'), null);
    await expect(new Registry(new LocalRegistryStore(file), 'mine', 5).data()).rejects.toThrow(/belongs to project 'other'/);
  });
});
