import { parentPort } from 'node:worker_threads';
import { trainTowerJob, type TowerJobMessage, type TowerWorkerReply } from './protocol.js';

// One tower training per message; the pool sends the next job when this one has replied.
parentPort!.on('message', (job: TowerJobMessage) => {
  const post = (m: TowerWorkerReply): void => parentPort!.postMessage(m);
  try {
    const params = trainTowerJob(job, (stats) => post({ id: job.id, type: 'epoch', stats }));
    post({ id: job.id, type: 'done', params });
  } catch (e) {
    const err = e as Error & { code?: string; hint?: string };
    post({
      id: job.id,
      type: 'error',
      error: { name: err.name, message: err.message, ...(err.code ? { code: err.code } : {}), ...(err.hint ? { hint: err.hint } : {}) },
    });
  }
});
