import type { LatencyRow, ServingSummary } from '../../../src/metrics/serving-summary';
import { Badge, Section, Show } from '../components/common';
import { RateChart } from '../components/charts';
import { duration, ms, num, pct, time } from '../format';
import { useApi } from '../use-api';

function Latency(props: { row: LatencyRow }) {
  const r = props.row;
  const w = r.window;
  const over = r.budgetMs !== null && w?.p99Ms != null && w.p99Ms > r.budgetMs;
  return (
    <>
      <td>{num(r.count, 0)}</td>
      <td>{w ? num(w.perSecond, 2) : '—'}</td>
      <td>{ms(w?.p50Ms ?? r.p50Ms)}</td>
      <td>{ms(w?.p95Ms ?? r.p95Ms)}</td>
      <td class={over ? 'bad-text' : undefined}>{ms(w?.p99Ms ?? r.p99Ms)}</td>
    </>
  );
}

/** Request rate, error rate and latency percentiles per endpoint and recommender stage, refreshed every 5 s. */
export function ServingView() {
  const res = useApi<ServingSummary>('/serving', 5000);
  return (
    <div>
      <h1>Serving</h1>
      <Show res={res}>
        {(s) => (
          <div>
            <p class="muted">
              Scraped {time(s.sampledAt)}
              {s.windowSeconds
                ? `; rates and percentiles over the last ${duration(s.windowSeconds)} (all-time until a second scrape)`
                : '; percentiles since each process started'}
              .
            </p>
            {s.sources.length === 0 ? (
              <p class="warn-text" data-testid="no-metrics">
                No metrics source: run the console inside the feature server (frec serve --ui) or pass --metrics-url to frec ui.
              </p>
            ) : (
              <p>
                {s.sources.map((src) => (
                  <span key={src.name} class="chip" data-testid="metrics-source">
                    {src.name} {src.ok ? <Badge tone="ok">up</Badge> : <Badge tone="bad">{src.error ?? 'down'}</Badge>}
                  </span>
                ))}
              </p>
            )}
            {s.rate.length > 1 ? <RateChart points={s.rate} /> : null}
            <Section title="Endpoints">
              <table class="list" data-testid="endpoints">
                <thead>
                  <tr>
                    <th>source</th>
                    <th>endpoint</th>
                    <th>requests</th>
                    <th>req/s</th>
                    <th>p50</th>
                    <th>p95</th>
                    <th>p99</th>
                    <th>5xx</th>
                    <th>4xx</th>
                  </tr>
                </thead>
                <tbody>
                  {s.endpoints.map((e) => (
                    <tr key={`${e.source} ${e.method} ${e.name}`} data-endpoint={e.name}>
                      <td class="small muted">{e.source}</td>
                      <td>
                        <code>
                          {e.method} {e.name}
                        </code>
                      </td>
                      <Latency row={e} />
                      <td class={e.errorRate > 0.01 ? 'bad-text' : undefined}>
                        {num(e.serverErrors, 0)} ({pct(e.windowErrorRate ?? e.errorRate, 2)})
                      </td>
                      <td>{num(e.rejected, 0)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </Section>
            <Section title="Recommender stages (latency budget)">
              {s.stages.length === 0 ? (
                <p class="muted">No recommender stage metrics (frec_recommend_stage_seconds) in the sources.</p>
              ) : (
                <table class="list" data-testid="stages">
                  <thead>
                    <tr>
                      <th>source</th>
                      <th>stage</th>
                      <th>requests</th>
                      <th>req/s</th>
                      <th>p50</th>
                      <th>p95</th>
                      <th>p99</th>
                      <th>budget</th>
                    </tr>
                  </thead>
                  <tbody>
                    {s.stages.map((r) => (
                      <tr key={`${r.source} ${r.name}`}>
                        <td class="small muted">{r.source}</td>
                        <td>{r.name}</td>
                        <Latency row={r} />
                        <td>{r.budgetMs === null ? '—' : ms(r.budgetMs)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </Section>
            {s.shadow.length > 0 ? (
              <Section title="Shadow scoring">
                <table class="list" data-testid="shadow">
                  <thead>
                    <tr>
                      <th>version</th>
                      <th>requests</th>
                      <th>errors</th>
                      <th>non-finite</th>
                      <th>mean top-k overlap</th>
                      <th>mean |score diff|</th>
                    </tr>
                  </thead>
                  <tbody>
                    {s.shadow.map((r) => (
                      <tr key={`${r.source} ${r.version}`}>
                        <td>{r.version}</td>
                        <td>{num(r.requests, 0)}</td>
                        <td>{num(r.errors, 0)}</td>
                        <td>{num(r.nonFinite, 0)}</td>
                        <td>{num(r.meanRankOverlap, 3)}</td>
                        <td>{num(r.meanScoreDiff, 4)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </Section>
            ) : null}
            {s.modelAge.length > 0 ? (
              <Section title="Model age">
                <table class="list">
                  <tbody>
                    {s.modelAge.map((m) => (
                      <tr key={`${m.source} ${m.model}`} class={m.seconds > 72 * 3600 ? 'status-stale' : undefined}>
                        <td>{m.model}</td>
                        <td>{duration(m.seconds)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </Section>
            ) : null}
          </div>
        )}
      </Show>
    </div>
  );
}
