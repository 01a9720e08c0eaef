import { parentPort } from 'node:worker_threads';
import { trainTwoTower } from '../two-tower.js';
import type { TowerJobMessage, TowerWorkerReply } from './protocol.js';

// One tower training per message; the pool sends the next job when this one has replied.
parentPort!.on('message', (job: TowerJobMessage) => {
  const post = (m: TowerWorkerReply): void => parentPort!.postMessage(m);
  try {
    const { params } = trainTwoTower(job.data, job.config, {
      ...(job.history ? { history: job.history } : {}),
      onEpoch: (stats) => post({ id: job.id, type: 'epoch', stats }),
    });
    post({ id: job.id, type: 'done', params });
  } catch (e) {
    const err = e as Error & { code?: string; where?: unknown; hint?: string };
    post({ id: job.id, type: 'error', error: { name: err.name, message: err.message, ...(err.code ? { code: err.code } : {}), ...(err.hint ? { hint: err.hint } : {}) } });
  }
});
