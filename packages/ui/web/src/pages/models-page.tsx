import type { ModelSummary } from '../../../src/api/models';
import { Badge, Section, Show } from '../components/common';
import { num, time } from '../format';
import { objectHref } from '../router';
import { useApi } from '../use-api';

const STAGE_TONE: Record<string, 'ok' | 'warn' | 'muted'> = { production: 'ok', candidate: 'warn', archived: 'muted' };

/** Every registered model: versions, stages, metrics, feature service, training range, shadow status, promotions. */
export function ModelsView(props: { name?: string }) {
  const res = useApi<{ location: string; models: ModelSummary[]; error: string | null }>('/models');
  return (
    <div>
      <h1>Models</h1>
      <Show res={res}>
        {(d) => (
          <div>
            <p class="muted">Model registry: {d.location}</p>
            {d.error ? <p class="warn-text">{d.error}</p> : null}
            {d.models.length === 0 ? <p class="muted">No models registered.</p> : null}
            {d.models
              .filter((m) => !props.name || m.name === props.name)
              .map((m) => (
                <Section title={m.name} key={m.name} id={`model-${m.name}`}>
                  <table class="list" data-testid={`model-${m.name}`}>
                    <thead>
                      <tr>
                        <th>version</th>
                        <th>stage</th>
                        <th>created</th>
                        <th>feature service</th>
                        <th>training data</th>
                        <th>metrics</th>
                        <th>shadow</th>
                      </tr>
                    </thead>
                    <tbody>
                      {[...m.versions].reverse().map((v) => (
                        <tr key={v.version}>
                          <td>v{v.version}</td>
                          <td>
                            <Badge tone={STAGE_TONE[v.stage] ?? 'muted'}>{v.stage}</Badge>
                          </td>
                          <td class="small">{time(v.createdAt)}</td>
                          <td>
                            <a href={objectHref('featureServices', v.featureService)}>{v.featureService}</a>
                          </td>
                          <td class="small">
                            {time(v.trainingData.start)} → {time(v.trainingData.end)}
                            {v.trainingData.rows !== undefined ? ` (${num(v.trainingData.rows, 0)} rows)` : ''}
                          </td>
                          <td class="small">
                            {Object.entries(v.metrics).map(([k, x]) => (
                              <div key={k}>
                                {k}: {num(x, 4)}
                              </div>
                            ))}
                          </td>
                          <td class="small">
                            {v.shadow
                              ? `${num(v.shadow.requests, 0)} requests, overlap ${num(v.shadow.meanRankOverlap, 3)}, ${num(v.shadow.errors, 0)} errors`
                              : v.stage === 'candidate'
                                ? 'not in shadow'
                                : '—'}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                  <h3>Promotion history</h3>
                  <table class="list small" data-testid={`promotions-${m.name}`}>
                    <tbody>
                      {m.versions
                        .flatMap((v) => v.stageHistory.map((h) => ({ ...h, version: v.version })))
                        .sort((a, b) => b.at.localeCompare(a.at))
                        .map((h) => (
                          <tr key={`${h.version}-${h.at}-${h.stage}`}>
                            <td>{time(h.at)}</td>
                            <td>v{h.version}</td>
                            <td>→ {h.stage}</td>
                            <td class="muted">{h.reason ?? ''}</td>
                          </tr>
                        ))}
                    </tbody>
                  </table>
                </Section>
              ))}
          </div>
        )}
      </Show>
    </div>
  );
}
