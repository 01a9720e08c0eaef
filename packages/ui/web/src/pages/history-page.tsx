import type { RegistryHistory } from '../../../src/api/history';
import { Badge, Section, Show } from '../components/common';
import { KIND_LABEL, time } from '../format';
import { objectHref } from '../router';
import { useApi } from '../use-api';

const SIGN = { add: '+', change: '~', remove: '−' } as const;

/** Each `frec apply` the registry remembers, with its plan diff, and every object's version. */
export function HistoryView() {
  const res = useApi<RegistryHistory>('/history');
  return (
    <div>
      <h1>Registry history</h1>
      <Show res={res}>
        {(h) => (
          <div>
            <p class="muted">
              Project {h.project}, generation {h.generation}, last written {time(h.lastUpdated)}.
            </p>
            <Section title="Applies">
              {h.applies.length === 0 ? (
                <p class="muted">No apply recorded (the registry was last applied by a frec that kept no history).</p>
              ) : null}
              {h.applies.map((a) => (
                <div class="apply" key={a.generation} data-testid="apply" data-generation={a.generation}>
                  <div class="apply-head">
                    <strong>generation {a.generation}</strong> · {time(a.appliedAt)} · by {a.user || 'unknown user'} ·{' '}
                    {a.changes.length + a.omittedChanges} change(s), {a.unchanged} unchanged
                  </div>
                  <ul class="changes">
                    {a.changes.map((c) => (
                      <li key={`${c.kind}/${c.name}`} class={`change-${c.type}`}>
                        <code>{SIGN[c.type]}</code> {KIND_LABEL[c.kind] ?? c.kind}{' '}
                        {c.type === 'remove' ? <span>{c.name}</span> : <a href={objectHref(c.kind, c.name)}>{c.name}</a>}{' '}
                        {c.breaking.length ? <Badge tone="bad">breaking</Badge> : null}
                        {c.details.length || c.breaking.length ? (
                          <ul>
                            {c.details.map((d) => (
                              <li key={d}>
                                <code>{d}</code>
                              </li>
                            ))}
                            {c.breaking.map((b) => (
                              <li key={b} class="bad-text">
                                breaking: {b}
                              </li>
                            ))}
                          </ul>
                        ) : null}
                      </li>
                    ))}
                    {a.omittedChanges ? <li class="muted">… and {a.omittedChanges} more</li> : null}
                  </ul>
                </div>
              ))}
            </Section>
            <Section title="Applied versions">
              <table class="list small" data-testid="versions">
                <thead>
                  <tr>
                    <th>kind</th>
                    <th>name</th>
                    <th>version</th>
                    <th>first applied</th>
                    <th>last changed</th>
                  </tr>
                </thead>
                <tbody>
                  {h.objects.slice(0, 500).map((o) => (
                    <tr key={`${o.kind}/${o.name}`}>
                      <td>{KIND_LABEL[o.kind]}</td>
                      <td>
                        <a href={objectHref(o.kind, o.name)}>{o.name}</a>
                      </td>
                      <td>{o.version}</td>
                      <td>{time(o.createdAt)}</td>
                      <td>{time(o.updatedAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </Section>
          </div>
        )}
      </Show>
    </div>
  );
}
