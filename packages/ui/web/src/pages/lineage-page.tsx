import { useState } from 'preact/hooks';
import type { LineageGraph } from '../../../src/api/lineage';
import { enc } from '../api';
import { Show } from '../components/common';
import { LineageGraphView } from '../components/lineage-graph';
import { useApi } from '../use-api';

/** The whole lineage graph, or the part connected to one object on large registries. */
export function LineageView(props: { query: URLSearchParams }) {
  const [focus, setFocus] = useState(props.query.get('focus') ?? '');
  const res = useApi<LineageGraph>(focus ? `/lineage?focus=${enc(focus)}` : '/lineage');
  return (
    <div>
      <h1>Lineage</h1>
      <p class="muted">
        Sources feed feature views, views feed feature services, and services feed the models registered against them. Click a node to open
        it.
      </p>
      <Show res={res}>
        {(g) => (
          <div>
            {g.truncated ? (
              <p class="warn-text" data-testid="lineage-truncated">
                The registry holds {g.totalNodes} objects: showing services and models only. Open an object to see its own lineage.
              </p>
            ) : null}
            {g.focus ? (
              <p>
                Showing what feeds and reads <code>{g.focus}</code>.{' '}
                <button type="button" onClick={() => setFocus('')}>
                  whole graph
                </button>
              </p>
            ) : null}
            {g.modelsError ? <p class="warn-text">Models: {g.modelsError}</p> : null}
            <LineageGraphView graph={g} />
          </div>
        )}
      </Show>
    </div>
  );
}
