import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createStreamBroker, FeatureStore, FrecError, StreamWorker } from '@frec/core';
import type { StreamBroker, StreamSubscription } from '@frec/core/spi';
import '@frec/streaming/redis-streams';

/** What one call of `ReplayStream.stream` moved: every count must equal `published`. */
export interface StreamedBatch {
  published: number;
  /** Messages the stream worker read and applied to user_recent (online rows and offline appends). */
  workerApplied: number;
  /** Messages the event-log consumer appended to the daily job's ratings.csv. */
  appended: number;
}

/** Where the replay's events go: the broker's Redis, and the names that keep one run apart from another. */
export interface ReplayStreamOptions {
  /** The replay's feature repo (its features.ts and feature_store.yaml are rewritten to the run's topic and broker). */
  repoPath: string;
  /** The MovieLens folder the daily job reads: its ratings.csv grows by what the event-log consumer appends. */
  liveDir: string;
  redisUrl: string;
  /** Unique per run: the topic is `<runId>:interactions`, state keys are prefixed `<runId>:`. */
  runId: string;
  /** How long the consumers may go without progress before the batch is declared lost (default 120 s). */
  stallMs?: number;
}

export const ReplayStreamErrorCode = {
  /** A streamed batch did not reach the worker or the event log whole. */
  EVENTS_LOST: 'REPLAY_EVENTS_LOST',
} as const;

const WORKER = 'replay-worker';
const LOG_GROUP = 'streamrec-replay:event-log';
const HEADER = 'userId,movieId,rating,timestamp';

/**
 * The replay's event path: rating lines are published to a Redis Streams topic as the app would
 * publish interactions, and two consumer groups read them: frec's StreamWorker (user_recent online
 * in the repo's SQLite store and its offline Parquet appends) and an event-log consumer that
 * appends each event to the ratings.csv the daily job slices. So the daily job trains on what was
 * consumed, not on the source file, and a lost event shows as a count that does not match.
 */
export class ReplayStream {
  readonly topic: string;
  private constructor(
    private readonly options: ReplayStreamOptions,
    private readonly broker: StreamBroker,
  ) {
    this.topic = `${options.runId}:interactions`;
  }

  /** Points the repo at the run's topic and broker, and starts the live folder with an empty ratings.csv beside `catalogDir`'s other files. */
  static async open(options: ReplayStreamOptions, catalogDir: string): Promise<ReplayStream> {
    const defs = path.join(options.repoPath, 'features.ts');
    const text = readFileSync(defs, 'utf8');
    if (!text.includes("topic: 'streamrec:interactions'"))
      throw new FrecError('INVALID_DEFINITION', `'${defs}' declares no topic 'streamrec:interactions' to point at the replay's topic.`, {
        where: { file: defs },
        hint: "Keep interaction_stream's topic 'streamrec:interactions' in the feature repo template.",
      });
    writeFileSync(defs, text.replace("topic: 'streamrec:interactions'", `topic: '${options.runId}:interactions'`));
    const yaml = path.join(options.repoPath, 'feature_store.yaml');
    writeFileSync(
      yaml,
      `${readFileSync(yaml, 'utf8').trimEnd()}\nbrokers:\n  redis:\n    url: ${options.redisUrl}\n    key_prefix: '${options.runId}:'\n`,
    );
    writeFileSync(path.join(options.liveDir, 'ratings.csv'), `${HEADER}\n`);
    for (const f of ['movies.csv', 'links.csv', 'tags.csv'])
      if (existsSync(path.join(catalogDir, f))) writeFileSync(path.join(options.liveDir, f), readFileSync(path.join(catalogDir, f)));
    const store = await FeatureStore.open({ repoPath: options.repoPath });
    try {
      return new ReplayStream(options, await createStreamBroker(store.config));
    } finally {
      await store.close();
    }
  }

  /**
   * Publishes rating lines (time order) and runs both consumers until each has taken all of
   * them; throws REPLAY_EVENTS_LOST when either stops short. The worker runs only while events
   * flow, so it never writes the online store while the daily job does.
   */
  async stream(lines: readonly string[]): Promise<StreamedBatch> {
    const store = await FeatureStore.open({ repoPath: this.options.repoPath });
    let worker: StreamWorker | undefined;
    let running: Promise<void> | undefined;
    let log: StreamSubscription | undefined;
    try {
      // Before the first day's job the Parquet sources do not exist yet; the job applies with validation.
      await store.apply(undefined, { validateSources: false });
      const view = await store.getFeatureView('user_recent');
      worker = new StreamWorker(store, this.broker, [view], { blockMs: 50, consumer: WORKER });
      running = worker.run();
      log = await this.broker.subscribe({ topic: this.topic, group: LOG_GROUP, consumer: 'replay-event-log' });
      const before = { ...worker.totals };
      for (let i = 0; i < lines.length; i += 1000) await this.broker.publish(this.topic, lines.slice(i, i + 1000).map(toEvent));
      const w = worker;
      const applied = () => w.totals.applied - before.applied;
      let appended = 0;
      let last = { progress: -1, at: Date.now() };
      const stallMs = this.options.stallMs ?? 120_000;
      while (appended < lines.length || applied() < lines.length) {
        const msgs = appended < lines.length ? await log.read({ count: 2000, blockMs: 50 }) : [];
        if (msgs.length > 0) {
          appendFileSync(path.join(this.options.liveDir, 'ratings.csv'), msgs.map((m) => `${toLine(m.fields)}\n`).join(''));
          await log.ack(msgs.map((m) => m.id));
          appended += msgs.length;
        } else await new Promise((r) => setTimeout(r, 20));
        const progress = appended + applied();
        if (progress !== last.progress) last = { progress, at: Date.now() };
        else if (Date.now() - last.at > stallMs) break;
      }
      const out = { published: lines.length, workerApplied: applied(), appended };
      if (out.workerApplied !== out.published || out.appended !== out.published)
        throw new FrecError(
          ReplayStreamErrorCode.EVENTS_LOST,
          `Of ${out.published} events published to '${this.topic}', the stream worker applied ${out.workerApplied} and the event log took ${out.appended}.`,
          {
            where: { topic: this.topic, redis: this.options.redisUrl },
            hint: 'Check the worker totals (invalid events go to the dead-letter stream) and that Redis is reachable; rerun the replay.',
          },
        );
      return out;
    } finally {
      worker?.stop();
      await running;
      await worker?.close();
      await log?.close();
      await store.close();
    }
  }

  /** Deletes the run's topic and worker states from Redis, and closes the broker. */
  async close(): Promise<void> {
    const broker = this.broker as StreamBroker & { deleteTopic?: (topic: string) => Promise<void> };
    const store = await FeatureStore.open({ repoPath: this.options.repoPath });
    try {
      const states = broker.stateStore(store.project);
      await states.clear('user_recent');
      await states.close();
    } finally {
      await store.close();
    }
    await broker.deleteTopic?.(this.topic);
    await broker.close();
  }
}

/** A ratings.csv line as the interaction the app publishes: the rating kept as written, time as epoch ms. */
function toEvent(line: string): Record<string, unknown> {
  const [u, m, r, t] = line.split(',');
  return { user_id: u, item_id: m, rating: r, event_timestamp: Number(t) * 1000 };
}

function toLine(f: Record<string, string>): string {
  return `${f.user_id},${f.item_id},${f.rating},${Number(f.event_timestamp) / 1000}`;
}
