import { trainRanker, type DcnParams } from '../../models/index.js';
import type { TrainRankerConfig } from '../config.js';
import type { Step } from '../step.js';
import type { RankerSet } from './ranker-set.js';

/** The ranker's loss: listwise (softmax over each request's rows) ranked each validation slice's candidates better alone (ADR 0077). */
export const RANKER_LOSS = 'listwise' as const;

/** Train ranker: the DCN-V2 on the ranker set, listwise over each request's rows. */
export const trainRankerStep: Step<TrainRankerConfig, { rankerSet: RankerSet }, DcnParams> = {
  name: 'train-ranker',
  async run({ rankerSet }, config, ctx) {
    return ctx.time(
      'train-ranker',
      () =>
        trainRanker(
          rankerSet.data,
          { seed: ctx.seed, ...config.dcn },
          {
            onEpoch: (s) =>
              ctx.progress('train-ranker', `epoch ${s.epoch} loss ${s.loss.toFixed(4)} (${Math.round(s.examplesPerSecond)} ex/s)`),
          },
        ).params,
    );
  },
};
