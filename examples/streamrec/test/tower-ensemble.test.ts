import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FrecError } from '@frec/core';
import { LocalModelStore, ModelRegistry } from '@frec/model-registry';
import { loadProductionModels } from '../src/serve/load-models.js';
import { servedUserQuery } from '../src/serve/user-query.js';
import {
  ensembleDim,
  ensembleItemForward,
  ensembleUserForward,
  itemTowerForward,
  serializeParams,
  deserializeParams,
  towerEnsemble,
  trainTwoTower,
  userTowerForward,
  type TowerEnsemble,
} from '../src/models/index.js';
import { twoTowerManifestParams } from '../src/models/manifest-params.js';
import { TowerTrainingPool } from '../src/tower-pool/index.js';
import { syntheticInteractions } from '../src/models/synthetic.js';

const s = syntheticInteractions({ numUsers: 30, numItems: 50, n: 700, dUser: 4, dItem: 5, seed: 21 });
const config = { epochs: 2, batchSize: 64, embeddingDim: 8, hidden: [12], outputDim: 6 };

describe('two-tower ensemble', () => {
  const members = [1, 2, 3].map((seed) => trainTwoTower(s.train, { ...config, seed }).params);
  const ens = towerEnsemble(members);
  const users = Int32Array.from([0, 7, 29, -1]);
  const feats = s.userFeaturesByUser.slice(0, users.length * 4);

  it('scores an item by the mean of its members\u2019 scores, with unit-length embeddings', () => {
    const dim = ensembleDim(ens);
    expect(dim).toBe(18);
    const u = ensembleUserForward(ens, users, feats);
    const v = ensembleItemForward(ens, s.train.itemFeatures);
    const memberU = members.map((m) => userTowerForward(m, users, feats));
    const memberV = members.map((m) => itemTowerForward(m, s.train.itemFeatures));
    for (let r = 0; r < users.length; r++) {
      let norm = 0;
      for (let k = 0; k < dim; k++) norm += u[r * dim + k]! ** 2;
      expect(norm).toBeCloseTo(1, 5);
      for (let j = 0; j < 50; j++) {
        let got = 0;
        for (let k = 0; k < dim; k++) got += u[r * dim + k]! * v[j * dim + k]!;
        const mean = memberU.reduce((acc, mu, m) => {
          let d = 0;
          for (let k = 0; k < 6; k++) d += mu[r * 6 + k]! * memberV[m]![j * 6 + k]!;
          return acc + d / members.length;
        }, 0);
        expect(got).toBeCloseTo(mean, 5);
      }
    }
  });

  it('is a plain two-tower with one member', () => {
    const one = towerEnsemble([members[0]!]);
    expect(Array.from(ensembleUserForward(one, users, feats))).toEqual(Array.from(userTowerForward(members[0]!, users, feats)));
  });

  it('round-trips through serializeParams bit for bit', () => {
    const back = deserializeParams<TowerEnsemble>(serializeParams(ens));
    expect(back.kind).toBe('two-tower-ensemble');
    expect(Array.from(ensembleItemForward(back, s.train.itemFeatures))).toEqual(Array.from(ensembleItemForward(ens, s.train.itemFeatures)));
  });

  it('is what serving loads from the model registry, and its served query is the ensemble\u2019s', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'frec-ensemble-'));
    try {
      const reg = new ModelRegistry(new LocalModelStore(dir));
      const enc = new TextEncoder();
      const items = ensembleItemForward(ens, s.train.itemFeatures);
      const m = await reg.register({
        name: 'two_tower',
        featureService: 'two_tower_v1',
        trainingData: { start: '2000-01-01T00:00:00Z', end: '2001-01-01T00:00:00Z' },
        params: twoTowerManifestParams(ens, { history: { weight: 1, decay: 0.5 }, popularityWeight: 0 }),
        artifacts: [
          { path: 'params.json', data: enc.encode(serializeParams(ens)) },
          { path: 'item_embeddings.f32', data: new Uint8Array(items.buffer.slice(0)) },
        ],
      });
      await reg.promote('two_tower', m.version, { featureServiceExists: async () => true });
      const loaded = (await loadProductionModels({ registry: dir })).twoTower!;
      expect(loaded.params.members).toHaveLength(3);
      expect(loaded.history).toEqual({ weight: 1, decay: 0.5 });
      expect(Array.from(loaded.itemEmbeddings!)).toEqual(Array.from(items));
      const vec = feats.subarray(0, 4);
      // Recent items 2 then 1 (newest first), decay 0.5: weights 2/3 and 1/3 of the mean term.
      const q = servedUserQuery(
        loaded,
        7,
        vec,
        { last_10_items: [102, 101, 999] },
        new Map([
          [101, 1],
          [102, 2],
        ]),
        loaded.itemEmbeddings!,
      );
      const u = ensembleUserForward(ens, Int32Array.of(7), vec);
      const dim = ensembleDim(ens);
      expect(q).toHaveLength(dim);
      for (let k = 0; k < dim; k++) expect(q[k]).toBeCloseTo(u[k]! + (2 / 3) * items[2 * dim + k]! + (1 / 3) * items[dim + k]!, 5);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses members trained on different vocabularies, naming the field', () => {
    const other = trainTwoTower(
      syntheticInteractions({ numUsers: 31, numItems: 50, n: 300, dUser: 4, dItem: 5, seed: 2 }).train,
      config,
    ).params;
    expect(() => towerEnsemble([members[0]!, other])).toThrowError(/member 1 has numUsers=31, member 0 has 30.*same training set/);
    expect(() => towerEnsemble([])).toThrowError(FrecError);
  });
});

describe('tower training pool', () => {
  it('trains on worker threads exactly what trainTwoTower trains in process, two at once', async () => {
    const pool = new TowerTrainingPool(2);
    try {
      const epochs: string[] = [];
      const got = await Promise.all(
        [5, 6, 7].map((seed) => pool.train({ data: s.train, config: { ...config, seed } }, (e) => epochs.push(`${seed}:${e.epoch}`))),
      );
      for (const [i, seed] of [5, 6, 7].entries()) {
        const want = trainTwoTower(s.train, { ...config, seed }).params;
        expect(serializeParams(got[i]!)).toBe(serializeParams(want));
      }
      expect(epochs.sort()).toEqual(['5:1', '5:2', '6:1', '6:2', '7:1', '7:2']);
    } finally {
      await pool.close();
    }
  });

  it('passes a training error back with its code and message, and keeps working', async () => {
    const pool = new TowerTrainingPool(1);
    try {
      const bad = { ...s.train, itemIndex: s.train.itemIndex.slice(1) };
      const err = await pool.train({ data: bad, config }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FrecError);
      expect((err as FrecError).code).toBe('INVALID_REQUEST');
      expect((err as Error).message).toMatch(/itemIndex has 699 values but 700 were expected/);
      const ok = await pool.train({ data: s.train, config: { ...config, epochs: 1 } });
      expect(ok.kind).toBe('two-tower');
    } finally {
      await pool.close();
    }
  });

  it('trains in process with no threads, and rejects work after close', async () => {
    const pool = new TowerTrainingPool(0);
    const p = await pool.train({ data: s.train, config: { ...config, seed: 9 } });
    expect(serializeParams(p)).toBe(serializeParams(trainTwoTower(s.train, { ...config, seed: 9 }).params));
    await pool.close();
    await expect(pool.train({ data: s.train, config })).rejects.toThrowError(/pool is closed/);
  });
});
