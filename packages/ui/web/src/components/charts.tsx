import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const REF = '#4c78a8';
const SERVED = '#f58518';

function useChart(make: (el: HTMLDivElement) => uPlot, deps: unknown[]) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!el.current) return;
    const chart = make(el.current);
    return () => chart.destroy();
  }, deps);
  return el;
}

/**
 * Offline and served shares per bin, side by side (uPlot bars). Bin labels go on the x axis;
 * a bin's label is drawn as text by uPlot on a canvas, never as markup.
 */
export function HistogramChart(props: { labels: string[]; reference: number[]; served: number[]; width?: number }) {
  const { labels, reference, served } = props;
  const el = useChart(
    (target) => {
      const x = labels.map((_, i) => i);
      return new uPlot(
        {
          width: props.width ?? 640,
          height: 260,
          scales: {
            x: { time: false, range: [-0.5, labels.length - 0.5] },
            y: { range: (_u, _min, max) => [0, Math.max(max, 0.01) * 1.1] },
          },
          axes: [
            {
              values: (_u, splits) => splits.map((s) => (Number.isInteger(s) ? (labels[s] ?? '') : '')),
              rotate: -30,
              size: 70,
              font: '11px system-ui',
            } as uPlot.Axis,
            { values: (_u, splits) => splits.map((s) => `${Math.round(s * 100)}%`) },
          ],
          series: [
            { label: 'bin', value: (_u, v) => (v === null ? '' : (labels[v] ?? '')) },
            {
              label: 'offline',
              fill: REF,
              stroke: REF,
              paths: uPlot.paths.bars!({ size: [0.4, 60], align: -1 }),
              points: { show: false },
              value: (_u, v) => (v === null ? '' : `${(v * 100).toFixed(1)}%`),
            },
            {
              label: 'served',
              fill: SERVED,
              stroke: SERVED,
              paths: uPlot.paths.bars!({ size: [0.4, 60], align: 1 }),
              points: { show: false },
              value: (_u, v) => (v === null ? '' : `${(v * 100).toFixed(1)}%`),
            },
          ],
          legend: { show: true },
          cursor: { points: { show: false } },
        },
        [x, reference, served],
        target,
      );
    },
    [labels.join('\u0000'), reference.join(','), served.join(',')],
  );
  return <div ref={el} class="chart" data-testid="histogram" />;
}

/** A value over days (PSI per skew report), with a threshold line. */
export function DriftChart(props: { points: Array<{ date: string; value: number }>; threshold?: number; label: string; width?: number }) {
  const { points } = props;
  const el = useChart(
    (target) => {
      const x = points.map((p) => Date.parse(`${p.date}T00:00:00Z`) / 1000);
      const series: uPlot.Series[] = [{}, { label: props.label, stroke: '#e45756', width: 2, points: { show: true, size: 6 } }];
      const data: uPlot.AlignedData = [x, points.map((p) => p.value)];
      if (props.threshold !== undefined) {
        series.push({ label: 'threshold', stroke: '#999', dash: [6, 4], points: { show: false } });
        (data as number[][]).push(points.map(() => props.threshold!));
      }
      return new uPlot(
        {
          width: props.width ?? 640,
          height: 220,
          series,
          scales: { y: { range: (_u, _min, max) => [0, Math.max(max, props.threshold ?? 0) * 1.2 || 1] } },
          // One tick per report day, labelled with the day.
          axes: [
            { splits: () => x, values: (_u, splits) => splits.map((s) => new Date(s * 1000).toISOString().slice(0, 10)), space: 90 },
            {},
          ],
        },
        data,
        target,
      );
    },
    [points.map((p) => `${p.date}=${p.value}`).join(','), props.threshold],
  );
  return <div ref={el} class="chart" data-testid="drift-chart" />;
}

/** Requests and errors per second over the scrapes this page has seen. */
export function RateChart(props: { points: Array<{ atMs: number; perSecond: number; errorsPerSecond: number }>; width?: number }) {
  const { points } = props;
  const el = useChart(
    (target) =>
      new uPlot(
        {
          width: props.width ?? 640,
          height: 200,
          series: [{}, { label: 'requests/s', stroke: REF, width: 2 }, { label: '5xx/s', stroke: '#e45756', width: 2 }],
          scales: { y: { range: (_u, _min, max) => [0, Math.max(max, 1) * 1.2] } },
        },
        [points.map((p) => p.atMs / 1000), points.map((p) => p.perSecond), points.map((p) => p.errorsPerSecond)],
        target,
      ),
    [points.map((p) => `${p.atMs}`).join(',')],
  );
  return <div ref={el} class="chart" data-testid="rate-chart" />;
}
