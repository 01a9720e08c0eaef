import { randomUUID } from 'node:crypto';
import { buildStreamRec } from '/work/main/examples/streamrec/src/serve/streamrec-recommender.ts';
import { onlineUserFeatures } from '/work/main/examples/streamrec/src/serve/online-user-features.ts';
const online = await onlineUserFeatures({ type: 'redis', connection_string: 'redis://127.0.0.1:6379', key_prefix: `frec-bench-${randomUUID()}:`, connect_timeout_ms: 1000, command_timeout_ms: 500 } as never);
const sr = await buildStreamRec({ features: online.source });
await online.seed(sr.snapshot);
await Promise.all(Array.from({ length: 30 }, (_, i) => sr.recommender.recommend({ userId: i + 1 })));
await online.store.teardown(); await online.close(); await sr.close();
