import { ErrorCode, FrecError, StoreError } from '@frec/core';

/** The part of an ioredis client (standalone or Cluster) that the deadline logic watches. */
export interface Watchable {
  status: string;
  once(event: 'ready' | 'end', fn: () => void): unknown;
  off(event: 'ready' | 'end', fn: () => void): unknown;
}

/** What a Redis store needs to bound every call. */
export interface DeadlineOptions {
  where: string;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  /** The client's latest connection error and when it happened (epoch ms). */
  lastError: () => { error: Error; at: number } | undefined;
}

function unavailable(o: DeadlineOptions, detail: string, cause?: unknown): StoreError {
  return new StoreError(ErrorCode.ONLINE_STORE_UNAVAILABLE, `Online store Redis at ${o.where} is unavailable: ${detail}.`, {
    where: { store: o.where },
    hint: 'Check that Redis is running and reachable, and online_store.connection_string in feature_store.yaml.',
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Waits until the client is ready, at most connect_timeout_ms; a typed error otherwise. */
async function whenReady(client: Watchable, o: DeadlineOptions): Promise<void> {
  if (client.status === 'ready') return;
  if (client.status === 'end') throw unavailable(o, 'the connection was closed');
  // While reconnecting after a fresh failure, answer at once rather than make every request wait.
  const recent = o.lastError();
  if (client.status === 'reconnecting' && recent && Date.now() - recent.at < o.connectTimeoutMs) {
    throw unavailable(o, recent.error.message, recent.error);
  }
  await new Promise<void>((resolve, reject) => {
    const onReady = (): void => {
      clearTimeout(timer);
      client.off('end', onEnd);
      resolve();
    };
    const onEnd = (): void => {
      clearTimeout(timer);
      client.off('ready', onReady);
      reject(unavailable(o, 'the connection was closed'));
    };
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      client.off('end', onEnd);
      const last = o.lastError()?.error;
      reject(unavailable(o, `no connection within connect_timeout_ms=${o.connectTimeoutMs}${last ? ` (${last.message})` : ''}`, last));
    }, o.connectTimeoutMs);
    client.once('ready', onReady);
    client.once('end', onEnd);
  });
}

/** Maps an ioredis failure to a StoreError (connection) or keeps a FrecError; anything else becomes INTERNAL. */
export function mapRedisError(err: unknown, o: DeadlineOptions): FrecError {
  if (err instanceof FrecError) return err;
  const e = err as Error & { code?: string; name?: string };
  const msg = e?.message ?? String(err);
  if (/timed out/i.test(msg)) {
    return new StoreError(
      ErrorCode.ONLINE_STORE_TIMEOUT,
      `Online store Redis at ${o.where} did not answer within command_timeout_ms=${o.commandTimeoutMs}.`,
      {
        where: { store: o.where },
        hint: 'Check Redis load and latency, or raise online_store.command_timeout_ms.',
        cause: err,
      },
    );
  }
  if (
    e?.name === 'MaxRetriesPerRequestError' ||
    /connection is closed|ECONNREFUSED|ECONNRESET|EPIPE|writeable|Failed to refresh slots|None of startup nodes|CLUSTERDOWN|TRYAGAIN|^MOVED|^ASK|enableOfflineQueue/i.test(
      msg,
    )
  ) {
    return unavailable(o, msg, err);
  }
  return new FrecError(ErrorCode.INTERNAL, `Online store Redis at ${o.where} failed: ${msg}`, { where: { store: o.where }, cause: err });
}

/**
 * Runs one store operation with a bounded wait: connect_timeout_ms for a connection, then
 * command_timeout_ms (scaled by `weight` for large batches) for the answer. Never hangs.
 */
export function withDeadline<T>(client: Watchable, o: DeadlineOptions, op: () => Promise<T>, weight = 1): Promise<T> {
  if (client.status !== 'ready') return whenReady(client, o).then(() => bounded(o, op, weight));
  return bounded(o, op, weight);
}

// One promise and one timer per call: this wraps every read on the serving path.
function bounded<T>(o: DeadlineOptions, op: () => Promise<T>, weight: number): Promise<T> {
  const limit = o.commandTimeoutMs * Math.max(1, weight);
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(mapRedisError(new Error(`command timed out after ${limit} ms`), o)), limit);
    op().then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(mapRedisError(err, o));
      },
    );
  });
}
