import { z } from 'zod';

/** `online_store:` with `type: sqlite`: one embedded SQLite file (the default store). */
export const sqliteOnlineStoreConfigSchema = z
  .object({
    type: z.literal('sqlite'),
    /** The database file, relative to the repo folder; ':memory:' for a throwaway store. */
    path: z.string().default('data/online.db'),
  })
  .strict();
/** The `online_store` section of feature_store.yaml when `type: sqlite`, defaults filled in. */
export type SqliteOnlineStoreConfig = z.infer<typeof sqliteOnlineStoreConfigSchema>;
