import { trainRanker, type DcnParams } from '../../models/index.js';
import { warmDcn } from '../../models/warm-start.js';
import type { TrainRankerConfig } from '../config.js';
import type { Step } from '../step.js';
import type { RankerSet } from './ranker-set.js';

/** The ranker's loss: listwise (softmax over each request's rows) ranked each validation slice's candidates better alone (ADR 0077). */
export const RANKER_LOSS = 'listwise' as const;

/** Train ranker: the DCN-V2 on the ranker set, listwise over each request's rows. */
export const trainRankerStep: Step<TrainRankerConfig, { rankerSet: RankerSet }, DcnParams> = {
  name: 'train-ranker',
  async run({ rankerSet }, config, ctx) {
    const init = config.warmStart ? warmDcn(config.warmStart, rankerSet.data.d, config.dcn) : undefined;
    if (config.warmStart && !init) ctx.log('  train-ranker: the production ranker does not fit these features; trained cold');
    return ctx.time(
      'train-ranker',
      () =>
        trainRanker(
          rankerSet.data,
          { seed: ctx.seed, ...config.dcn },
          {
            ...(init ? { init } : {}),
            onEpoch: (s) =>
              ctx.progress('train-ranker', `epoch ${s.epoch} loss ${s.loss.toFixed(4)} (${Math.round(s.examplesPerSecond)} ex/s)`),
          },
        ).params,
    );
  },
};
