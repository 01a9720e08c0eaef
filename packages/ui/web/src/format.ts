/** Seconds as the largest fitting unit: 90 -> '1.5 min', 86400 -> '1 d'. */
export function duration(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return '—';
  if (s === 0) return '0 s';
  const units: Array<[number, string]> = [
    [86_400, 'd'],
    [3_600, 'h'],
    [60, 'min'],
    [1, 's'],
  ];
  for (const [n, u] of units) if (Math.abs(s) >= n) return `${Number((s / n).toFixed(1))} ${u}`;
  return `${Number((s * 1000).toFixed(1))} ms`;
}

/** A TTL: 0 means values never expire. */
export function ttl(s: number): string {
  return s === 0 ? 'none (values never expire)' : duration(s);
}

/** A number with at most `digits` decimals, or a dash. */
export function num(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return Number(x.toFixed(digits)).toLocaleString('en-US', { maximumFractionDigits: digits });
}

/** A share as a percentage. */
export function pct(x: number | null | undefined, digits = 1): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : `${(x * 100).toFixed(digits)}%`;
}

/** An ISO time as 'YYYY-MM-DD HH:MM:SS UTC'. */
export function time(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** Milliseconds with sensible precision. */
export function ms(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return x < 1 ? `${x.toFixed(2)} ms` : x < 100 ? `${x.toFixed(1)} ms` : `${Math.round(x)} ms`;
}

/** Labels of registry kinds. */
export const KIND_LABEL: Record<string, string> = {
  entities: 'entity',
  dataSources: 'source',
  featureViews: 'feature view',
  onDemandFeatureViews: 'on-demand view',
  featureServices: 'feature service',
  features: 'feature',
  models: 'model',
};

/** Plural labels of registry kinds. */
export const KIND_PLURAL: Record<string, string> = {
  entities: 'entities',
  dataSources: 'sources',
  featureViews: 'feature views',
  onDemandFeatureViews: 'on-demand views',
  featureServices: 'feature services',
  features: 'features',
};
