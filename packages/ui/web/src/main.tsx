import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { apiKey, setApiKey } from './api';
import { CatalogView } from './pages/catalog-page';
import { DriftOverviewView, FeatureDriftView } from './pages/drift-page';
import { FreshnessView } from './pages/freshness-page';
import { HistoryView } from './pages/history-page';
import { LineageView } from './pages/lineage-page';
import { ModelsView } from './pages/models-page';
import { ObjectView } from './pages/object-page';
import { ServingView } from './pages/serving-page';
import { href, useRoute, type Route } from './router';
import { useApi } from './use-api';
import './styles.css';

const NAV: Array<[string, string]> = [
  ['catalog', 'Catalog'],
  ['lineage', 'Lineage'],
  ['freshness', 'Freshness'],
  ['drift', 'Drift'],
  ['serving', 'Serving'],
  ['models', 'Models'],
  ['history', 'History'],
];

function Page(props: { route: Route }) {
  const [page = 'catalog', a, b] = props.route.parts;
  const q = props.route.query;
  switch (page) {
    case 'object':
      return a && b ? <ObjectView kind={a} name={b} query={q} key={`${a}/${b}`} /> : <CatalogView query={q} />;
    case 'lineage':
      return <LineageView query={q} />;
    case 'freshness':
      return <FreshnessView />;
    case 'drift':
      return a && b ? (
        <FeatureDriftView view={a} feature={b} query={q} key={`${a}/${b}/${q.get('date') ?? ''}`} />
      ) : (
        <DriftOverviewView query={q} />
      );
    case 'serving':
      return <ServingView />;
    case 'models':
      return <ModelsView {...(a ? { name: a } : {})} />;
    case 'history':
      return <HistoryView />;
    default:
      return <CatalogView query={q} />;
  }
}

/** Asks for the API key after a 401 and keeps it for this tab. */
function KeyPrompt(props: { onClose: () => void }) {
  const [key, setKey] = useState('');
  return (
    <form
      class="key-prompt"
      data-testid="key-prompt"
      onSubmit={(e) => {
        e.preventDefault();
        setApiKey(key.trim() || null);
        location.reload();
      }}
    >
      <span>This console needs an API key (feature_server.api_keys or FREC_API_KEYS).</span>
      <input
        type="password"
        placeholder="API key"
        value={key}
        onInput={(e) => setKey(e.currentTarget.value)}
        data-testid="key-input"
        autocomplete="off"
      />
      <button type="submit" data-testid="key-submit">
        Use key
      </button>
      {apiKey() ? (
        <button
          type="button"
          onClick={() => {
            setApiKey(null);
            props.onClose();
            location.reload();
          }}
        >
          Forget key
        </button>
      ) : null}
    </form>
  );
}

function App() {
  const route = useRoute();
  const [askKey, setAskKey] = useState(false);
  useEffect(() => {
    const on = () => setAskKey(true);
    addEventListener('frec-auth', on);
    return () => removeEventListener('frec-auth', on);
  }, []);
  const overview = useApi<{ project: string; generation: number }>('/overview');
  const current = route.parts[0] === 'object' ? 'catalog' : (route.parts[0] ?? 'catalog');
  return (
    <div class="layout">
      <header>
        <a class="brand" href={href('catalog')}>
          frec <span data-testid="project">{overview.state === 'ok' ? overview.data.project : ''}</span>
        </a>
        <nav>
          {NAV.map(([id, label]) => (
            <a key={id} href={href(id)} class={current === id ? 'active' : undefined} data-testid={`nav-${id}`}>
              {label}
            </a>
          ))}
        </nav>
        <button type="button" class="key-button" onClick={() => setAskKey((v) => !v)}>
          {apiKey() ? 'key set' : 'API key'}
        </button>
      </header>
      {askKey ? <KeyPrompt onClose={() => setAskKey(false)} /> : null}
      <main>
        <Page route={route} />
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
