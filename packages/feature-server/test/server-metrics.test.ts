import { describe, expect, it } from 'vitest';
import { ServerMetrics } from '../src/server-metrics.js';

const valueOf = (text: string, series: string): number => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? Number.NaN : Number(line.slice(series.length + 1));
};

describe('ServerMetrics', () => {
  it('counts every observation exactly, across batch flushes and scrapes, per label set', async () => {
    const m = new ServerMetrics({ registryAgeSeconds: () => 0 });
    // 600 crosses the batch size twice and leaves a partial batch for the scrape to flush.
    for (let i = 0; i < 600; i++) m.observeRequest('/get-online-features', 'POST', 200, i % 3 === 0 ? 0.0001 : 0.2);
    for (let i = 0; i < 7; i++) m.observeRequest('/get-online-features', 'POST', 400, 0.001);
    for (let i = 0; i < 300; i++) m.observeViewRead('v1', 0.0002, 3);
    m.observeViewRead('v2', 0.0002, 0);
    let text = await m.render();
    expect(valueOf(text, 'frec_http_requests_total{route="/get-online-features",status="200"}')).toBe(600);
    expect(valueOf(text, 'frec_http_requests_total{route="/get-online-features",status="400"}')).toBe(7);
    const h = 'frec_http_request_duration_seconds';
    expect(valueOf(text, `${h}_count{route="/get-online-features",method="POST",status="200"}`)).toBe(600);
    expect(valueOf(text, `${h}_bucket{le="0.0005",route="/get-online-features",method="POST",status="200"}`)).toBe(200);
    expect(valueOf(text, `${h}_sum{route="/get-online-features",method="POST",status="200"}`)).toBeCloseTo(200 * 0.0001 + 400 * 0.2, 6);
    expect(valueOf(text, 'frec_online_store_read_duration_seconds_count{view="v1"}')).toBe(300);
    expect(valueOf(text, 'frec_online_rows_read_total{view="v1"}')).toBe(900);
    // A read of no keys still shows its series, at 0.
    expect(valueOf(text, 'frec_online_rows_read_total{view="v2"}')).toBe(0);
    // A second scrape adds nothing twice.
    m.observeRequest('/get-online-features', 'POST', 200, 0.2);
    text = await m.render();
    expect(valueOf(text, 'frec_http_requests_total{route="/get-online-features",status="200"}')).toBe(601);
    expect(valueOf(text, 'frec_online_rows_read_total{view="v1"}')).toBe(900);
  });
});
