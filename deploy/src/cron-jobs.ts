import { CronJob } from 'kubernetes-models/batch/v1';
import type { IContainer } from 'kubernetes-models/v1';
import { baseEnv, frecCommand, hardenedContainer, hardenedPod, labelsOf, repoVolumes, resourcesOf } from './pod-spec.js';
import type { CronValues, DeployValues } from './values.js';

/** Names of the two daily CronJobs. */
export const MATERIALIZATION = 'frec-materialize';
export const TRAINING = 'streamrec-daily';

/**
 * The daily training job's command. Its entry point is idempotent per day, so a retried or
 * re-run job for the same day does the same work; it is handed the newest complete UTC day.
 */
export const TRAINING_COMMAND = ['sh', '-c', 'exec npm run -w examples/streamrec daily -- --day "$(date -u -d yesterday +%F)"'];

function cronJob(v: DeployValues, name: string, component: string, c: CronValues, container: IContainer, checksum: string): CronJob {
  const { labels } = labelsOf(name, component);
  const vol = repoVolumes(v, { dataReadOnly: false, tmpSize: '20Gi' });
  return new CronJob({
    metadata: { name, namespace: v.namespace, labels },
    spec: {
      schedule: c.schedule,
      timeZone: c.timeZone,
      // A run still going when the next is due makes the next wait: two runs would race on the same day's outputs.
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: c.startingDeadlineSeconds,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        metadata: { labels },
        spec: {
          backoffLimit: c.backoffLimit,
          activeDeadlineSeconds: c.activeDeadlineSeconds,
          ttlSecondsAfterFinished: 7 * 24 * 3600,
          template: {
            metadata: { labels, annotations: { 'frec.dev/config-checksum': checksum } },
            spec: hardenedPod(v, {
              // Never: a failed pod stays for its logs, and the Job's backoffLimit starts a new one.
              restartPolicy: 'Never',
              volumes: vol.volumes,
              containers: [
                hardenedContainer({
                  ...container,
                  image: v.image,
                  env: baseEnv(c.resources),
                  resources: resourcesOf(c.resources),
                  volumeMounts: vol.mounts,
                }),
              ],
            }),
          },
        },
      },
    },
  });
}

/** `frec materialize-incremental now` daily: batch views' new rows into the online store. */
export function materializationJob(v: DeployValues, checksum: string): CronJob {
  return cronJob(
    v,
    MATERIALIZATION,
    'materialization',
    v.materialization,
    { name: 'materialize', command: frecCommand(v, 'materialize-incremental', 'now') },
    checksum,
  );
}

/** StreamRec's daily training job (`npm run -w examples/streamrec daily -- --day <YYYY-MM-DD>`). */
export function trainingJob(v: DeployValues, checksum: string): CronJob {
  return cronJob(v, TRAINING, 'training', v.training, { name: 'daily', command: TRAINING_COMMAND }, checksum);
}
