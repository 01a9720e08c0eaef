import type { ObjectDetail } from '../../../src/api/objects';
import type { LineageGraph } from '../../../src/api/lineage';
import { enc } from '../api';
import { Badge, CopyBlock, Section, Show, Tags } from '../components/common';
import { LineageGraphView } from '../components/lineage-graph';
import { duration, KIND_LABEL, time, ttl } from '../format';
import { href, objectHref } from '../router';
import { useApi } from '../use-api';

/** Spec fields each kind's page shows in its own sections; the rest are listed under Settings. */
const SHOWN = new Set([
  'name',
  'description',
  'owner',
  'tags',
  'features',
  'entities',
  'entityColumns',
  'aggregations',
  'ttlSeconds',
  'kind',
  'source',
  'projections',
  'transformSource',
  'sources',
  'requestSources',
  'schema',
]);

interface Field {
  name: string;
  dtype: string;
  description?: string;
  tags?: Record<string, string>;
}

function Settings(props: { spec: Record<string, unknown> }) {
  const rest = Object.entries(props.spec).filter(([k, v]) => !SHOWN.has(k) && v !== undefined);
  if (rest.length === 0) return null;
  return (
    <Section title="Settings">
      <table class="kv" data-testid="settings">
        <tbody>
          {rest.map(([k, v]) => (
            <tr key={k}>
              <th>{k}</th>
              <td>
                {typeof v === 'object' ? (
                  <code>{JSON.stringify(v)}</code>
                ) : k.endsWith('Seconds') && typeof v === 'number' ? (
                  `${duration(v)} (${v} s)`
                ) : (
                  String(v)
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}

function Schema(props: { detail: ObjectDetail; highlight: string | null }) {
  const fields = (props.detail.spec.features as Field[] | undefined) ?? [];
  const withDistribution = props.detail.kind === 'featureViews';
  return (
    <Section title="Schema" id="schema">
      <table class="list" data-testid="schema">
        <thead>
          <tr>
            <th>feature</th>
            <th>type</th>
            <th>description</th>
            <th>tags</th>
            {withDistribution ? <th /> : null}
          </tr>
        </thead>
        <tbody>
          {fields.map((f) => (
            <tr key={f.name} class={f.name === props.highlight ? 'highlight' : undefined} data-feature={f.name}>
              <td>
                <code>{f.name}</code>
              </td>
              <td>{f.dtype}</td>
              <td>{f.description ?? ''}</td>
              <td>
                <Tags tags={f.tags ?? {}} />
              </td>
              {withDistribution ? (
                <td>
                  <a href={href('drift', props.detail.name, f.name)} data-testid="distribution-link">
                    distribution
                  </a>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}

function Related(props: { detail: ObjectDetail }) {
  const r = props.detail.related;
  const groups: Array<[string, string, string[]]> = [
    ['sources', 'dataSources', r.sources],
    ['entities', 'entities', r.entities],
    ['feature views', 'featureViews', r.views],
    ['on-demand views', 'onDemandFeatureViews', r.onDemandViews],
    ['feature services', 'featureServices', r.services],
  ];
  return (
    <Section title="Related">
      <table class="kv" data-testid="related">
        <tbody>
          {groups
            .filter(([, , names]) => names.length > 0)
            .map(([label, kind, names]) => (
              <tr key={label}>
                <th>{label}</th>
                <td>
                  {names.map((n) => (
                    <a class="chip" href={objectHref(kind, n)} key={n}>
                      {n}
                    </a>
                  ))}
                </td>
              </tr>
            ))}
          {r.models.length > 0 ? (
            <tr>
              <th>models</th>
              <td>
                {r.models.map((m) => (
                  <a class="chip" href={href('models', m.name)} key={`${m.name}@${m.version}`}>
                    {m.name} v{m.version} ({m.stage})
                  </a>
                ))}
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
    </Section>
  );
}

function Windows(props: { detail: ObjectDetail }) {
  const w = props.detail.windows;
  if (w.length === 0) return null;
  return (
    <Section title="Aggregations and windows">
      <table class="list" data-testid="windows">
        <thead>
          <tr>
            <th>feature</th>
            <th>aggregation</th>
            <th>column</th>
            <th>window</th>
            <th>session gap</th>
            <th>n</th>
            <th>options</th>
          </tr>
        </thead>
        <tbody>
          {w.map((a) => (
            <tr key={a.feature}>
              <td>
                <code>{a.feature}</code>
              </td>
              <td>{a.kind}</td>
              <td>{a.column ?? '—'}</td>
              <td>{a.windowSeconds === null ? '—' : a.windowSeconds === 0 ? 'lifetime' : duration(a.windowSeconds)}</td>
              <td>{a.gapSeconds === null ? '—' : duration(a.gapSeconds)}</td>
              <td>{a.n ?? '—'}</td>
              <td>{Object.keys(a.options).length ? <code>{JSON.stringify(a.options)}</code> : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}

/** The page of one registry object. */
export function ObjectView(props: { kind: string; name: string; query: URLSearchParams }) {
  const res = useApi<ObjectDetail>(`/objects/${enc(props.kind)}/${enc(props.name)}`);
  const prefix =
    props.kind === 'featureServices' ? 'service' : props.kind === 'dataSources' ? 'source' : props.kind === 'entities' ? null : 'view';
  const lineage = useApi<LineageGraph>(prefix ? `/lineage?focus=${enc(`${prefix}:${props.name}`)}` : null);
  return (
    <Show res={res}>
      {(d) => {
        const spec = d.spec as Record<string, unknown> & {
          ttlSeconds?: number;
          kind?: string;
          online?: boolean;
          tags?: Record<string, string>;
          owner?: string;
          description?: string;
        };
        return (
          <div>
            <p class="crumbs">
              <a href={href('catalog')}>Catalog</a> / {KIND_LABEL[d.kind]}
            </p>
            <h1 data-testid="object-title">
              {d.name} {typeof spec.kind === 'string' && d.kind === 'featureViews' ? <Badge tone="muted">{spec.kind}</Badge> : null}
            </h1>
            <p class="muted">
              version {d.version} · applied {time(d.createdAt)} · last changed {time(d.updatedAt)} ·{' '}
              <span data-testid="site">{d.site ? `defined at ${d.site}` : 'declaration site not recorded (apply again to record it)'}</span>
            </p>
            {spec.description ? <p data-testid="description">{spec.description}</p> : null}
            <table class="kv">
              <tbody>
                <tr>
                  <th>owner</th>
                  <td data-testid="owner">{spec.owner || '—'}</td>
                </tr>
                <tr>
                  <th>tags</th>
                  <td data-testid="tags">
                    <Tags tags={spec.tags ?? {}} />
                  </td>
                </tr>
                {typeof spec.ttlSeconds === 'number' ? (
                  <tr>
                    <th>TTL</th>
                    <td data-testid="ttl">{ttl(spec.ttlSeconds)}</td>
                  </tr>
                ) : null}
                {d.kind === 'featureViews' ? (
                  <tr>
                    <th>online</th>
                    <td>{spec.online ? 'served online' : 'offline only'}</td>
                  </tr>
                ) : null}
              </tbody>
            </table>
            {d.kind === 'featureViews' || d.kind === 'onDemandFeatureViews' ? (
              <Schema detail={d} highlight={props.query.get('feature')} />
            ) : null}
            {d.kind === 'featureViews' ? (
              <Section title="Entities">
                <table class="list">
                  <tbody>
                    {((spec.entityColumns as Field[]) ?? []).map((c, i) => (
                      <tr key={c.name}>
                        <td>
                          <a href={objectHref('entities', (spec.entities as string[])[i] ?? '')}>{(spec.entities as string[])[i]}</a>
                        </td>
                        <td>
                          join key <code>{c.name}</code> ({c.dtype})
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </Section>
            ) : null}
            <Windows detail={d} />
            {d.kind === 'featureServices' ? (
              <Section title="Features">
                <table class="list" data-testid="projections">
                  <tbody>
                    {(spec.projections as Array<{ view: string; features: string[]; alias?: string }>).map((p) => (
                      <tr key={p.view}>
                        <td>
                          <a href={objectHref('featureViews', p.view)}>{p.view}</a>
                          {p.alias ? ` as ${p.alias}` : ''}
                        </td>
                        <td>
                          {p.features.map((f) => (
                            <code class="chip" key={f}>
                              {f}
                            </code>
                          ))}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </Section>
            ) : null}
            {d.kind === 'onDemandFeatureViews' ? <CopyBlock title="transform" code={String(spec.transformSource ?? '')} /> : null}
            <Settings spec={spec} />
            <Related detail={d} />
            {d.materialization ? (
              <Section title="Materialization">
                <p>
                  watermark {time(d.materialization.watermark)}; {d.materialization.intervals.length} interval(s) recorded.
                </p>
                <table class="list">
                  <tbody>
                    {d.materialization.intervals
                      .slice(-5)
                      .reverse()
                      .map(([a, b]) => (
                        <tr key={`${a}-${b}`}>
                          <td>
                            {time(a)} → {time(b)}
                          </td>
                        </tr>
                      ))}
                  </tbody>
                </table>
                <a href={href('freshness')}>freshness</a>
              </Section>
            ) : null}
            {prefix ? (
              <Section title="Lineage">
                <Show res={lineage}>{(g) => <LineageGraphView graph={g} />}</Show>
              </Section>
            ) : null}
            {d.snippets ? (
              <Section title="Read these features">
                <CopyBlock title="TypeScript (getOnlineFeatures)" code={d.snippets.typescript} testid="snippet-ts" />
                <CopyBlock title="HTTP (feature server)" code={d.snippets.curl} testid="snippet-curl" />
              </Section>
            ) : null}
          </div>
        );
      }}
    </Show>
  );
}
