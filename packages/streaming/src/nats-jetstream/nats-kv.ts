import type { KV, KvEntry } from '@nats-io/kv';

/** JetStream's "wrong last sequence": a conditional KV write lost to another writer. */
export const WRONG_LAST_SEQUENCE = 10071;

/** Whether an error is a lost compare-and-set (the entry changed or already exists). */
export function isCasConflict(err: unknown): boolean {
  return (err as { code?: number }).code === WRONG_LAST_SEQUENCE || /wrong last sequence/i.test(String((err as Error)?.message));
}

/** An entry's value when it holds one (not a delete or purge marker). */
export function liveValue(e: KvEntry | null): string | null {
  return e && e.operation === 'PUT' ? e.string() : null;
}

/** Writes `value` if the key is absent, or still at `revision`; the new revision, or null when another writer got there first. */
export async function casPut(kv: KV, key: string, value: string, revision: number | null): Promise<number | null> {
  try {
    return revision === null ? await kv.create(key, value) : await kv.update(key, value, revision);
  } catch (err) {
    if (isCasConflict(err)) return null;
    throw err;
  }
}
