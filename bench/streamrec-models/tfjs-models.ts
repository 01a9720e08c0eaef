import * as tf from '@tensorflow/tfjs';
import type { RankerData, TwoTowerData } from '../../examples/streamrec/src/models/types.js';
import { itemLogQFromCounts } from '../../examples/streamrec/src/models/two-tower.js';

/** Same two-tower architecture and loss as the typed-array trainer, written with tfjs ops (the baseline). */
export function tfjsTwoTowerStep(data: TwoTowerData, cfg: { e: number; hidden: number; out: number; batch: number; temperature: number }) {
  const { e, hidden, out, batch, temperature } = cfg;
  const glorot = (i: number, o: number) => tf.variable(tf.randomNormal([i, o], 0, Math.sqrt(2 / i), 'float32', 1));
  const userEmb = tf.variable(tf.randomNormal([data.numUsers + 1, e], 0, 0.1, 'float32', 2));
  const itemEmb = tf.variable(tf.randomNormal([data.numItems + 1, e], 0, 0.1, 'float32', 3));
  const uW1 = glorot(e + data.dUser, hidden),
    uB1 = tf.variable(tf.zeros([hidden])),
    uW2 = glorot(hidden, out),
    uB2 = tf.variable(tf.zeros([out]));
  const iW1 = glorot(e + data.dItem, hidden),
    iB1 = tf.variable(tf.zeros([hidden])),
    iW2 = glorot(hidden, out),
    iB2 = tf.variable(tf.zeros([out]));
  const logQ = tf.tensor1d(itemLogQFromCounts(data.itemIndex, data.numItems));
  const itemFeats = tf.tensor2d(data.itemFeatures, [data.numItems, data.dItem]);
  const opt = tf.train.adam(0.005);
  const eye = tf.eye(batch);
  return (start: number): number => {
    const idx = Array.from({ length: batch }, (_, r) => (start + r) % data.userIndex.length);
    const uIds = tf.tensor1d(
      idx.map((i) => data.userIndex[i]!),
      'int32',
    );
    const iIdsArr = idx.map((i) => data.itemIndex[i]!);
    const iIds = tf.tensor1d(iIdsArr, 'int32');
    const uf = tf.tensor2d(
      Float32Array.from(idx.flatMap((i) => Array.from(data.userFeatures.subarray(i * data.dUser, (i + 1) * data.dUser)))),
      [batch, data.dUser],
    );
    const lossT = opt.minimize(() => {
      const u0 = tf.concat([tf.gather(userEmb, uIds), uf], 1);
      const u = tf.matMul(tf.relu(tf.matMul(u0, uW1).add(uB1)), uW2).add(uB2);
      const i0 = tf.concat([tf.gather(itemEmb, iIds), tf.gather(itemFeats, iIds)], 1);
      const v = tf.matMul(tf.relu(tf.matMul(i0, iW1).add(iB1)), iW2).add(iB2);
      const un = u.div(tf.norm(u, 2, 1, true));
      const vn = v.div(tf.norm(v, 2, 1, true));
      const logits = tf.matMul(un, vn, false, true).div(temperature).sub(tf.gather(logQ, iIds));
      return tf.losses.softmaxCrossEntropy(eye, logits) as tf.Scalar;
    }, true)!;
    const l = lossT.dataSync()[0]!;
    tf.dispose([lossT, uIds, iIds, uf]);
    return l;
  };
}

/** Same DCN-V2 architecture (2 cross layers, deep [64, 32], sigmoid head) with tfjs ops. */
export function tfjsDcnStep(data: RankerData, cfg: { batch: number; cross: number; hidden: number[] }) {
  const { d } = data;
  const v = (i: number, o: number) => tf.variable(tf.randomNormal([i, o], 0, Math.sqrt(2 / i), 'float32', 4));
  const cross = Array.from({ length: cfg.cross }, () => ({ w: v(d, d), b: tf.variable(tf.zeros([d])) }));
  const dims = [d, ...cfg.hidden];
  const deep = cfg.hidden.map((o, i) => ({ w: v(dims[i]!, o), b: tf.variable(tf.zeros([o])) }));
  const head = { w: v(d + dims[dims.length - 1]!, 1), b: tf.variable(tf.zeros([1])) };
  const opt = tf.train.adam(0.003);
  return (start: number): number => {
    const s = start % Math.max(1, data.n - cfg.batch);
    const x0 = tf.tensor2d(data.x.subarray(s * d, (s + cfg.batch) * d), [cfg.batch, d]);
    const y = tf.tensor2d(data.y.subarray(s, s + cfg.batch), [cfg.batch, 1]);
    const lossT = opt.minimize(() => {
      let xl: tf.Tensor2D = x0;
      for (const c of cross) xl = x0.mul(tf.matMul(xl, c.w).add(c.b)).add(xl) as tf.Tensor2D;
      let h: tf.Tensor2D = x0;
      for (const l of deep) h = tf.relu(tf.matMul(h, l.w).add(l.b)) as tf.Tensor2D;
      const logit = tf.matMul(tf.concat([xl, h], 1), head.w).add(head.b);
      return tf.losses.sigmoidCrossEntropy(y, logit) as tf.Scalar;
    }, true)!;
    const l = lossT.dataSync()[0]!;
    tf.dispose([lossT, x0, y]);
    return l;
  };
}
