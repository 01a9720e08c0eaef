import type { FreshnessPage, ViewFreshnessRow } from '../../../src/api/freshness';
import { Badge, Show } from '../components/common';
import { duration, num, time } from '../format';
import { objectHref } from '../router';
import { useApi } from '../use-api';

const TONE: Record<ViewFreshnessRow['status'], 'ok' | 'warn' | 'bad' | 'muted'> = {
  ok: 'ok',
  stale: 'bad',
  lagging: 'warn',
  empty: 'warn',
  unknown: 'muted',
};

/** Per view: last materialized interval, online rows, newest event time, consumer lag; stale and lagging views in colour. */
export function FreshnessView() {
  const res = useApi<FreshnessPage>('/freshness?limit=500', 15_000);
  return (
    <div>
      <h1>Freshness</h1>
      <Show res={res}>
        {(p) => (
          <div>
            <p class="muted">
              A view is <Badge tone="bad">stale</Badge> when its newest online value is older than its TTL,{' '}
              <Badge tone="warn">lagging</Badge> when its stream consumer is more than {p.maxLag} messages behind.{' '}
              {p.total > p.rows.length ? `First ${p.rows.length} of ${p.total} views.` : ''}
            </p>
            {p.errors.map((e) => (
              <p class="warn-text" key={e}>
                {e}
              </p>
            ))}
            <table class="list" data-testid="freshness">
              <thead>
                <tr>
                  <th>view</th>
                  <th>kind</th>
                  <th>status</th>
                  <th>TTL</th>
                  <th>last materialized interval</th>
                  <th>online rows</th>
                  <th>newest event online</th>
                  <th>age</th>
                  <th>consumer lag</th>
                </tr>
              </thead>
              <tbody>
                {p.rows.map((r) => (
                  <tr key={r.view} class={`status-${r.status}`} data-view={r.view} data-status={r.status}>
                    <td>
                      <a href={objectHref('featureViews', r.view)}>{r.view}</a>
                    </td>
                    <td>{r.kind}</td>
                    <td>
                      <Badge tone={TONE[r.status]} title={r.reasons.join('; ')}>
                        {r.status}
                      </Badge>
                      {r.reasons.length ? <div class="small muted">{r.reasons.join('; ')}</div> : null}
                    </td>
                    <td>{r.ttlSeconds ? duration(r.ttlSeconds) : '—'}</td>
                    <td class="small">{r.lastInterval ? `${time(r.lastInterval[0])} → ${time(r.lastInterval[1])}` : '—'}</td>
                    <td data-testid="online-rows">{num(r.onlineRows, 0)}</td>
                    <td class="small">{time(r.newestEventTime)}</td>
                    <td>{duration(r.newestAgeSeconds)}</td>
                    <td>{r.consumerLag === null ? '—' : num(r.consumerLag, 0)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Show>
    </div>
  );
}
