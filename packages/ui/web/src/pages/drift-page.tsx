import type { Distribution } from '../../../src/drift/distribution';
import { enc } from '../api';
import { Badge, Section, Show } from '../components/common';
import { DriftChart, HistogramChart } from '../components/charts';
import { num, pct, time } from '../format';
import { href, objectHref } from '../router';
import { useApi } from '../use-api';

interface DriftOverview {
  date: string | null;
  reportDates: string[];
  servedDates: string[];
  report: {
    date: string;
    generatedAt: string | null;
    reference: { kind: string; name?: string; rows?: number };
    served: { rows?: number };
    threshold: number;
    features: Array<{
      feature: string;
      type: string;
      psi: number;
      flagged: boolean;
      nullShare: { reference: number; served: number } | null;
      outOfRange: number | null;
    }>;
  } | null;
  reportError: string | null;
}

function featureHref(ref: string): string | null {
  const i = ref.indexOf(':');
  return i > 0 ? href('drift', ref.slice(0, i), ref.slice(i + 1)) : null;
}

/** The day's skew report: PSI and null shares per feature, flagged ones first. */
export function DriftOverviewView(props: { query: URLSearchParams }) {
  const date = props.query.get('date');
  const res = useApi<DriftOverview>(`/drift${date ? `?date=${enc(date)}` : ''}`);
  return (
    <div>
      <h1>Distributions and drift</h1>
      <Show res={res}>
        {(d) => (
          <div>
            <p class="muted">
              Skew reports: {d.reportDates.length ? d.reportDates.join(', ') : 'none yet'} · feature log days:{' '}
              {d.servedDates.length ? d.servedDates.join(', ') : 'none yet'}. Open a feature from the catalog or below to see its histogram
              offline and served.
            </p>
            {d.reportError ? <p class="warn-text">{d.reportError}</p> : null}
            {d.report ? (
              <Section title={`Skew report ${d.report.date}`}>
                <p class="muted">
                  reference {d.report.reference.kind} {d.report.reference.name ?? ''} ({num(d.report.reference.rows ?? null, 0)} rows) ·
                  served {num(d.report.served.rows ?? null, 0)} rows · PSI threshold {d.report.threshold} · generated{' '}
                  {time(d.report.generatedAt)}
                </p>
                <table class="list" data-testid="drift-report">
                  <thead>
                    <tr>
                      <th>feature</th>
                      <th>type</th>
                      <th>PSI</th>
                      <th>nulls offline</th>
                      <th>nulls served</th>
                      <th>out of range</th>
                    </tr>
                  </thead>
                  <tbody>
                    {[...d.report.features]
                      .sort((a, b) => Number(b.flagged) - Number(a.flagged) || b.psi - a.psi)
                      .map((f) => {
                        const link = featureHref(f.feature);
                        return (
                          <tr key={f.feature} class={f.flagged ? 'status-stale' : undefined}>
                            <td>{link ? <a href={link}>{f.feature}</a> : f.feature}</td>
                            <td>{f.type}</td>
                            <td>
                              {num(f.psi, 4)} {f.flagged ? <Badge tone="bad">drift</Badge> : null}
                            </td>
                            <td>{pct(f.nullShare?.reference)}</td>
                            <td>{pct(f.nullShare?.served)}</td>
                            <td>{pct(f.outOfRange)}</td>
                          </tr>
                        );
                      })}
                  </tbody>
                </table>
              </Section>
            ) : (
              <p class="muted">No skew report for this day.</p>
            )}
          </div>
        )}
      </Show>
    </div>
  );
}

/** One feature: offline and served histograms with PSI and null shares, and PSI over the daily reports. */
export function FeatureDriftView(props: { view: string; feature: string; query: URLSearchParams }) {
  const date = props.query.get('date');
  const res = useApi<Distribution>(`/features/${enc(props.view)}/${enc(props.feature)}/distribution${date ? `?date=${enc(date)}` : ''}`);
  return (
    <div>
      <p class="crumbs">
        <a href={href('drift')}>Drift</a> / <a href={objectHref('featureViews', props.view)}>{props.view}</a>
      </p>
      <h1 data-testid="feature-title">
        {props.view}:{props.feature}
      </h1>
      <Show res={res}>
        {(d) => (
          <div>
            <p class="muted">
              {d.dtype} · {d.kind} · served day {d.date ?? '—'}
              {d.dates.length > 1 ? (
                <span>
                  {' '}
                  · days:{' '}
                  {d.dates.map((x) => (
                    <a class="chip" key={x} href={`${href('drift', props.view, props.feature)}?date=${x}`}>
                      {x}
                    </a>
                  ))}
                </span>
              ) : null}
            </p>
            <div class="figures">
              <div class="figure" data-testid="psi">
                <div class="figure-label">PSI</div>
                <div class="figure-value" data-testid="psi-value">
                  {num(d.psi, 4)}
                </div>
                <div class="small muted">
                  {d.binsFrom === 'report' ? "over the skew report's bins" : d.binsFrom === 'reference' ? 'over reference deciles' : ''}
                </div>
              </div>
              <div class="figure" data-testid="report-psi">
                <div class="figure-label">skew report PSI</div>
                <div class="figure-value" data-testid="report-psi-value">
                  {d.report ? num(d.report.psi, 4) : '—'}
                </div>
                <div class="small muted">
                  {d.report ? `${d.report.date}${d.report.flagged ? ' · flagged' : ''}` : 'no report for this day'}
                </div>
              </div>
              <div class="figure">
                <div class="figure-label">nulls offline / served</div>
                <div class="figure-value" data-testid="null-share">
                  {pct(d.reference.nullShare)} / {pct(d.served.nullShare)}
                </div>
              </div>
              <div class="figure">
                <div class="figure-label">rows offline / served</div>
                <div class="figure-value" data-testid="row-counts">
                  {num(d.reference.rows, 0)} / {num(d.served.rows, 0)}
                </div>
              </div>
              <div class="figure">
                <div class="figure-label">served out of range</div>
                <div class="figure-value">{pct(d.outOfRange)}</div>
              </div>
            </div>
            {d.psi !== null && d.psi > d.threshold ? (
              <p class="bad-text" data-testid="drift-warning">
                PSI {num(d.psi, 4)} is above the threshold {d.threshold}: the served values have drifted from the offline source.
              </p>
            ) : null}
            {d.report && d.reference.rows && d.report.referenceRows && d.report.referenceRows !== d.reference.rows ? (
              <p class="warn-text">
                The report was computed over {d.report.referenceRows} reference rows; the source holds {d.reference.rows} now, so the PSI
                figures can differ.
              </p>
            ) : null}
            {d.reference.note ? <p class="muted">offline: {d.reference.note}</p> : null}
            {d.served.note ? <p class="muted">served: {d.served.note}</p> : null}
            {d.reportError ? <p class="warn-text">{d.reportError}</p> : null}
            {d.bins.length > 0 ? (
              <Section title={`Histogram: offline source ${d.reference.name} beside served values`}>
                <HistogramChart
                  labels={d.bins.map((b) => b.label)}
                  reference={d.bins.map((b) => b.reference)}
                  served={d.bins.map((b) => b.served)}
                />
                <table class="list small" data-testid="bins">
                  <thead>
                    <tr>
                      <th>bin</th>
                      <th>offline</th>
                      <th>served</th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.bins.map((b) => (
                      <tr key={b.label}>
                        <td>
                          <code>{b.label}</code>
                        </td>
                        <td>{pct(b.reference)}</td>
                        <td>{pct(b.served)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </Section>
            ) : null}
            <Section title="Drift over time">
              {d.drift.length > 0 ? (
                <DriftChart points={d.drift.map((p) => ({ date: p.date, value: p.psi }))} threshold={d.threshold} label="PSI" />
              ) : (
                <p class="muted">No daily skew report names this feature yet.</p>
              )}
            </Section>
          </div>
        )}
      </Show>
    </div>
  );
}
