import { ErrorCode, RequestError } from '@frec/core';
import { partitionOfEvent, partitionsOf, type FeatureViewSpec, type StreamBroker } from '@frec/core/spi';

/**
 * Publishes events to a stream view's source, each to the partition of its entity key
 * (`partitionOf`), so every event of one entity is read by one worker, in order. Events keep their
 * order within a partition; the returned IDs are in the order of `events`.
 * @example await publishByKey(broker, activity.spec, [{ user_id: 7, item_id: 42, ts: Date.now() }]);
 */
export async function publishByKey(
  broker: StreamBroker,
  view: FeatureViewSpec,
  events: ReadonlyArray<Record<string, unknown>>,
): Promise<string[]> {
  if (view.source.type !== 'stream')
    throw new RequestError(ErrorCode.INVALID_REQUEST, `Feature view '${view.name}' has no stream source to publish to.`, {
      where: { featureView: view.name },
      hint: 'Publish to a view declared with streamFeatureView and a streamSource.',
    });
  const k = partitionsOf(view);
  const topic = view.source.topic;
  if (k === 1) return broker.publish(topic, events);
  const byPartition = new Map<number, number[]>();
  events.forEach((e, i) => {
    const p = partitionOfEvent(view, e, k);
    (byPartition.get(p) ?? byPartition.set(p, []).get(p)!).push(i);
  });
  const ids = new Array<string>(events.length);
  await Promise.all(
    [...byPartition].map(async ([p, idx]) => {
      const got = await broker.publish(
        topic,
        idx.map((i) => events[i]!),
        { partition: p },
      );
      idx.forEach((i, j) => (ids[i] = got[j]!));
    }),
  );
  return ids;
}
