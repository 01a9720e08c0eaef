import type { LineageEdge, LineageGraph, LineageNode } from '../../../src/api/lineage';
import { href, objectHref } from '../router';

const COL = 230;
const ROW = 44;
const W = 190;
const H = 32;
const LAYER_TITLES = ['sources', 'feature views', 'on-demand views', 'feature services', 'models'];

/** Columns by layer, rows ordered by the mean row of each node's inputs, so edges cross less. */
function layout(nodes: readonly LineageNode[], edges: readonly LineageEdge[]) {
  const layers = [...new Set(nodes.map((n) => n.layer))].sort((a, b) => a - b);
  const inputs = new Map<string, string[]>();
  for (const e of edges) inputs.set(e.to, [...(inputs.get(e.to) ?? []), e.from]);
  const row = new Map<string, number>();
  const pos = new Map<string, { x: number; y: number }>();
  layers.forEach((layer, col) => {
    const here = nodes.filter((n) => n.layer === layer);
    const key = (n: LineageNode) => {
      const ins = (inputs.get(n.id) ?? []).map((i) => row.get(i)).filter((r): r is number => r !== undefined);
      return ins.length ? ins.reduce((a, b) => a + b, 0) / ins.length : Number.POSITIVE_INFINITY;
    };
    here.sort((a, b) => key(a) - key(b) || a.name.localeCompare(b.name));
    here.forEach((n, i) => {
      row.set(n.id, i);
      pos.set(n.id, { x: 10 + col * COL, y: 34 + i * ROW });
    });
  });
  const rows = Math.max(1, ...layers.map((l) => nodes.filter((n) => n.layer === l).length));
  return { layers, pos, width: 20 + layers.length * COL, height: 44 + rows * ROW };
}

function linkOf(n: LineageNode): string {
  return n.link.kind === 'models' ? href('models', n.link.name) : objectHref(n.link.kind, n.link.name);
}

/** The lineage graph as SVG; every node is a link to its page, the focus node is outlined. */
export function LineageGraphView(props: { graph: LineageGraph }) {
  const { nodes, edges, focus } = props.graph;
  if (nodes.length === 0) return <p class="muted">Nothing applied yet.</p>;
  const { layers, pos, width, height } = layout(nodes, edges);
  return (
    <div class="graph-wrap">
      <svg
        width={width}
        height={height}
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label="lineage graph"
        data-testid="lineage-graph"
      >
        {layers.map((l, col) => (
          <text x={10 + col * COL} y={18} class="layer-title" key={`t${l}`}>
            {LAYER_TITLES[l] ?? ''}
          </text>
        ))}
        {edges.map((e) => {
          const a = pos.get(e.from);
          const b = pos.get(e.to);
          if (!a || !b) return null;
          const x1 = a.x + W;
          const y1 = a.y + H / 2;
          const x2 = b.x;
          const y2 = b.y + H / 2;
          const mid = (x1 + x2) / 2;
          return (
            <path
              key={`${e.from}>${e.to}`}
              class="edge"
              d={`M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`}
              data-edge={`${e.from}>${e.to}`}
            />
          );
        })}
        {nodes.map((n) => {
          const p = pos.get(n.id)!;
          return (
            <a href={linkOf(n)} key={n.id} data-node={n.id}>
              <rect x={p.x} y={p.y} width={W} height={H} rx={6} class={`node ${n.kind}${n.id === focus ? ' focus' : ''}`} />
              <text x={p.x + 8} y={p.y + 14} class="node-name">
                {n.name.length > 26 ? `${n.name.slice(0, 25)}…` : n.name}
              </text>
              <text x={p.x + 8} y={p.y + 27} class="node-detail">
                {n.detail}
              </text>
              <title>{`${n.kind} ${n.name} (${n.detail})`}</title>
            </a>
          );
        })}
      </svg>
    </div>
  );
}
