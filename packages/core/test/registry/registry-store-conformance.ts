import { describe, expect, it } from 'vitest';
import { ErrorCode, FrecError } from '../../src/index.js';
import { emptyRegistry, type RegistryData, type RegistryStore } from '../../src/spi.js';

/** Raw access to where a backend keeps its bytes, so tests can plant corrupt files and check they survive. */
export interface RegistryBackendFixture {
  /** A store over a fresh, empty location. */
  newStore(): Promise<RegistryStore>;
  /** A second store over the same location (another process would build its own). */
  sameLocation(store: RegistryStore): Promise<RegistryStore>;
  readRaw(store: RegistryStore): Promise<Buffer | null>;
  writeRaw(store: RegistryStore, bytes: Buffer): Promise<void>;
}

function next(base: RegistryData | undefined, project: string, mark: string): RegistryData {
  const d = structuredClone(base ?? emptyRegistry(project));
  d.generation += 1;
  d.lastUpdated = new Date().toISOString();
  d.entities[mark] = {
    spec: { name: mark, joinKey: `${mark}_id`, valueType: 'int64', description: '', tags: {}, owner: '' },
    createdAt: d.lastUpdated,
    updatedAt: d.lastUpdated,
    version: 1,
  };
  return d;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return err instanceof FrecError ? err.code : `non-frec: ${String(err)}`;
  }
}

/** The behaviour every RegistryStore must have; run once per backend. */
export function registryStoreConformance(backend: string, fixture: () => RegistryBackendFixture): void {
  describe(`RegistryStore conformance: ${backend}`, () => {
    it('reads null before the first write, then what was written', async () => {
      const store = await fixture().newStore();
      expect(await store.read()).toBeNull();
      const written = await store.write(next(undefined, 'p', 'a'), null);
      const read = await store.read();
      expect(read?.data.entities.a?.spec.joinKey).toBe('a_id');
      expect(read?.token).toBe(written.token);
    });

    it('refuses a write from a stale snapshot with REGISTRY_CONFLICT, keeping the winner', async () => {
      const f = fixture();
      const one = await f.newStore();
      const two = await f.sameLocation(one);
      const base = await one.write(next(undefined, 'p', 'base'), null);
      const snapA = (await one.read())!;
      const snapB = (await two.read())!;
      await one.write(next(snapA.data, 'p', 'from_a'), snapA.token);
      const loser = two.write(next(snapB.data, 'p', 'from_b'), snapB.token);
      await expect(loser).rejects.toMatchObject({ code: ErrorCode.REGISTRY_CONFLICT, message: expect.stringMatching(/frec plan/) });
      const final = (await two.read())!;
      expect(Object.keys(final.data.entities).sort()).toEqual(['base', 'from_a']);
      expect(final.token).not.toBe(base.token);
    });

    it('refuses a first write when someone else created the registry meanwhile', async () => {
      const f = fixture();
      const one = await f.newStore();
      const two = await f.sameLocation(one);
      await one.write(next(undefined, 'p', 'a'), null);
      expect(await codeOf(two.write(next(undefined, 'p', 'b'), null))).toBe(ErrorCode.REGISTRY_CONFLICT);
    });

    it('lets exactly one of many concurrent writers from one snapshot win', async () => {
      const f = fixture();
      const first = await f.newStore();
      await first.write(next(undefined, 'p', 'base'), null);
      const stores = await Promise.all(Array.from({ length: 6 }, () => f.sameLocation(first)));
      const snaps = await Promise.all(stores.map((s) => s.read()));
      const codes = await Promise.all(stores.map((s, i) => codeOf(s.write(next(snaps[i]!.data, 'p', `w${i}`), snaps[i]!.token))));
      expect(codes.filter((c) => c === 'ok')).toHaveLength(1);
      expect(codes.filter((c) => c === ErrorCode.REGISTRY_CONFLICT)).toHaveLength(5);
      const winner = codes.indexOf('ok');
      expect(Object.keys((await first.read())!.data.entities).sort()).toEqual(['base', `w${winner}`]);
    });

    for (const [what, bytes, code] of [
      ['corrupt JSON', Buffer.from('{"schemaVersion": 1, "project": "p", "generation": 3,'), ErrorCode.REGISTRY_CORRUPT],
      ['a valid JSON that is not a registry', Buffer.from('{"hello": "world"}\n'), ErrorCode.REGISTRY_CORRUPT],
      [
        'a registry from a newer frec',
        Buffer.from(`${JSON.stringify({ ...emptyRegistry('p'), schemaVersion: 99, future: { x: 1 } })}\n`),
        ErrorCode.REGISTRY_VERSION_UNSUPPORTED,
      ],
    ] as const) {
      it(`refuses ${what} and never overwrites it`, async () => {
        const f = fixture();
        const store = await f.newStore();
        await f.writeRaw(store, bytes);
        await expect(store.read()).rejects.toMatchObject({ code, message: expect.stringContaining(store.location) });
        // Neither a write "from scratch" nor one with a made-up token may replace it.
        expect(await codeOf(store.write(next(undefined, 'p', 'x'), null))).not.toBe('ok');
        expect(await codeOf(store.write(next(undefined, 'p', 'x'), '"0"'))).not.toBe('ok');
        expect((await f.readRaw(store))!.equals(bytes)).toBe(true);
      });
    }

    it('delete removes the registry', async () => {
      const store = await fixture().newStore();
      await store.write(next(undefined, 'p', 'a'), null);
      await store.delete();
      expect(await store.read()).toBeNull();
    });
  });
}
