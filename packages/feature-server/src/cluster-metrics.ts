import cluster from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

const REQ = 'frec:cluster-metrics-req';
const RES = 'frec:cluster-metrics-res';

interface MetricsMessage {
  type: string;
  id: number;
  text?: string;
  error?: string;
}

/**
 * In the cluster primary: answers workers' requests for the metrics of every worker summed
 * (prom-client's AggregatorRegistry), so a scrape of any worker's /metrics sees the whole server.
 */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: MetricsMessage) => {
    if (message?.type !== REQ) return;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: RES, id: message.id, text }),
      (err: Error) => worker.send({ type: RES, id: message.id, error: err.message }),
    );
  });
}

/**
 * In a cluster worker: offers this worker's registry to the primary's aggregation and returns a
 * function that fetches the aggregate, falling back to this worker's own metrics on a timeout.
 */
export function clusterMetricsSource(registry: Registry, timeoutMs = 3000): () => Promise<string> {
  AggregatorRegistry.setRegistries([registry]);
  // Constructing one installs prom-client's listener that answers the primary's collection requests.
  new AggregatorRegistry();
  let seq = 0;
  const waiting = new Map<number, (text: string | undefined) => void>();
  process.on('message', (message: MetricsMessage) => {
    if (message?.type !== RES) return;
    waiting.get(message.id)?.(message.text);
    waiting.delete(message.id);
  });
  return async () => {
    const id = seq++;
    const text = await new Promise<string | undefined>((resolve) => {
      const timer = setTimeout(() => {
        waiting.delete(id);
        resolve(undefined);
      }, timeoutMs);
      waiting.set(id, (t) => {
        clearTimeout(timer);
        resolve(t);
      });
      process.send?.({ type: REQ, id });
    });
    return text ?? registry.metrics();
  };
}
